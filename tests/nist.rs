//! The NIST StRD nonlinear-regression problems (`tests/data/reference/nist/`) solved with the
//! same Levenberg–Marquardt wrapper the 4PL fits use (`platefit::fit::lm`), with exact
//! Jacobians from forward-mode dual numbers.
//!
//! Expectation: from both NIST start vectors, the certified parameters to at least 6
//! significant digits (log relative error, LRE ≥ 6) on all 27 problems, including the runs
//! where MINPACK (scipy, finite differences) stops early, and the certified RSS to 4 digits
//! (except Lanczos1, whose certified RSS is below double-precision round-off).

use std::ops::{Add, Div, Mul, Neg, Sub};
use std::path::PathBuf;

use platefit::fit::lm::{LeastSquaresModel, SolverSettings, minimize};
use serde_json::Value;

const MAX_PARAMS: usize = 9;

/// A forward-mode dual number with up to 9 partial derivatives.
#[derive(Clone, Copy, Debug)]
struct D {
    v: f64,
    g: [f64; MAX_PARAMS],
}

impl D {
    fn c(v: f64) -> Self {
        Self {
            v,
            g: [0.0; MAX_PARAMS],
        }
    }
    fn var(v: f64, i: usize) -> Self {
        let mut d = Self::c(v);
        d.g[i] = 1.0;
        d
    }
    fn chain(self, v: f64, dv: f64) -> Self {
        Self {
            v,
            g: self.g.map(|g| g * dv),
        }
    }
    fn exp(self) -> Self {
        let e = self.v.exp();
        self.chain(e, e)
    }
    fn cos(self) -> Self {
        self.chain(self.v.cos(), -self.v.sin())
    }
    fn sin(self) -> Self {
        self.chain(self.v.sin(), self.v.cos())
    }
    fn atan(self) -> Self {
        self.chain(self.v.atan(), 1.0 / (1.0 + self.v * self.v))
    }
    fn ln(self) -> Self {
        self.chain(self.v.ln(), 1.0 / self.v)
    }
    /// self^p for a dual exponent: exp(p ln self).
    fn pow(self, p: D) -> Self {
        (p * self.ln()).exp()
    }
    fn powf(self, p: f64) -> Self {
        self.chain(self.v.powf(p), p * self.v.powf(p - 1.0))
    }
}

impl Add for D {
    type Output = D;
    fn add(self, o: D) -> D {
        let mut g = self.g;
        for (a, b) in g.iter_mut().zip(o.g) {
            *a += b;
        }
        D { v: self.v + o.v, g }
    }
}
impl Sub for D {
    type Output = D;
    fn sub(self, o: D) -> D {
        self + (-o)
    }
}
impl Neg for D {
    type Output = D;
    fn neg(self) -> D {
        D {
            v: -self.v,
            g: self.g.map(|g| -g),
        }
    }
}
impl Mul for D {
    type Output = D;
    fn mul(self, o: D) -> D {
        let mut g = [0.0; MAX_PARAMS];
        for (k, slot) in g.iter_mut().enumerate() {
            *slot = self.g[k] * o.v + o.g[k] * self.v;
        }
        D { v: self.v * o.v, g }
    }
}
impl Div for D {
    type Output = D;
    fn div(self, o: D) -> D {
        let mut g = [0.0; MAX_PARAMS];
        for (k, slot) in g.iter_mut().enumerate() {
            *slot = (self.g[k] * o.v - o.g[k] * self.v) / (o.v * o.v);
        }
        D { v: self.v / o.v, g }
    }
}
impl Add<f64> for D {
    type Output = D;
    fn add(self, o: f64) -> D {
        self + D::c(o)
    }
}
impl Sub<f64> for D {
    type Output = D;
    fn sub(self, o: f64) -> D {
        self - D::c(o)
    }
}
impl Mul<f64> for D {
    type Output = D;
    fn mul(self, o: f64) -> D {
        self * D::c(o)
    }
}
impl Div<f64> for D {
    type Output = D;
    fn div(self, o: f64) -> D {
        self / D::c(o)
    }
}

/// The NIST model functions, transcribed from `model_expr`.
fn model(name: &str, b: &[D], x: f64, x2: f64) -> D {
    let c = D::c;
    let pi = std::f64::consts::PI;
    match name {
        "Bennett5" => b[0] * (b[1] + x).pow(c(-1.0) / b[2]),
        "BoxBOD" | "Misra1a" => b[0] * (c(1.0) - (-b[1] * x).exp()),
        "Chwirut1" | "Chwirut2" => (-b[0] * x).exp() / (b[1] + b[2] * x),
        "DanWood" => c(x).pow(b[1]) * b[0],
        "ENSO" => {
            let w = 2.0 * pi * x;
            b[0] + b[1] * c(w / 12.0).cos()
                + b[2] * c(w / 12.0).sin()
                + b[4] * (c(w) / b[3]).cos()
                + b[5] * (c(w) / b[3]).sin()
                + b[7] * (c(w) / b[6]).cos()
                + b[8] * (c(w) / b[6]).sin()
        }
        "Eckerle4" => (b[0] / b[1]) * (((c(x) - b[2]) / b[1]).powf(2.0) * -0.5).exp(),
        "Gauss1" | "Gauss2" | "Gauss3" => {
            (-b[1] * x).exp() * b[0]
                + b[2] * (-((c(x) - b[3]).powf(2.0)) / b[4].powf(2.0)).exp()
                + b[5] * (-((c(x) - b[6]).powf(2.0)) / b[7].powf(2.0)).exp()
        }
        "Hahn1" | "Thurber" => {
            (b[0] + b[1] * x + b[2] * (x * x) + b[3] * (x * x * x))
                / (c(1.0) + b[4] * x + b[5] * (x * x) + b[6] * (x * x * x))
        }
        "Kirby2" => (b[0] + b[1] * x + b[2] * (x * x)) / (c(1.0) + b[3] * x + b[4] * (x * x)),
        "Lanczos1" | "Lanczos2" | "Lanczos3" => {
            b[0] * (-b[1] * x).exp() + b[2] * (-b[3] * x).exp() + b[4] * (-b[5] * x).exp()
        }
        "MGH09" => b[0] * (b[1] * x + x * x) / (b[2] * x + b[3] + x * x),
        "MGH10" => b[0] * (b[1] / (b[2] + x)).exp(),
        "MGH17" => b[0] + b[1] * (-b[3] * x).exp() + b[2] * (-b[4] * x).exp(),
        "Misra1b" => b[0] * (c(1.0) - (c(1.0) + b[1] * (x / 2.0)).powf(-2.0)),
        "Misra1c" => b[0] * (c(1.0) - (c(1.0) + b[1] * (2.0 * x)).powf(-0.5)),
        "Misra1d" => b[0] * b[1] * x * (c(1.0) + b[1] * x).powf(-1.0),
        "Nelson" => b[0] - b[1] * x * (-b[2] * x2).exp(),
        "Rat42" => b[0] / ((b[1] - b[2] * x).exp() + 1.0),
        "Rat43" => b[0] / ((b[1] - b[2] * x).exp() + 1.0).pow(c(1.0) / b[3]),
        "Roszman1" => b[0] - b[1] * x - (b[2] / (c(x) - b[3])).atan() / pi,
        other => panic!("no model for {other}"),
    }
}

struct Problem {
    name: String,
    x: Vec<f64>,
    x2: Vec<f64>,
    y: Vec<f64>,
    n_params: usize,
}

impl Problem {
    fn evaluate(&self, params: &[f64], i: usize) -> D {
        let b: Vec<D> = params
            .iter()
            .enumerate()
            .map(|(k, v)| D::var(*v, k))
            .collect();
        model(
            &self.name,
            &b,
            self.x[i],
            self.x2.get(i).copied().unwrap_or(0.0),
        )
    }
}

impl LeastSquaresModel for Problem {
    fn n_params(&self) -> usize {
        self.n_params
    }
    fn n_residuals(&self) -> usize {
        self.y.len()
    }
    fn residuals(&self, params: &[f64], out: &mut [f64]) -> bool {
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = self.evaluate(params, i).v - self.y[i];
        }
        out.iter().all(|v| v.is_finite())
    }
    fn jacobian(&self, params: &[f64], out: &mut [f64]) -> bool {
        let rows = self.y.len();
        for i in 0..rows {
            let d = self.evaluate(params, i);
            for k in 0..self.n_params {
                out[k * rows + i] = d.g[k];
            }
        }
        out.iter().all(|v| v.is_finite())
    }
}

fn nist_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reference/nist"
    ))
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn lre(estimate: f64, certified: f64) -> f64 {
    if (estimate - certified).abs() <= f64::MIN_POSITIVE {
        return 11.0;
    }
    (-((estimate - certified).abs() / certified.abs()).log10()).min(11.0)
}

#[test]
fn nist_certified_values() {
    let scipy: Value = serde_json::from_str(
        &std::fs::read_to_string(nist_dir().join("scipy_minpack_lm_results.json")).expect("scipy"),
    )
    .expect("json");
    let mut names: Vec<String> = std::fs::read_dir(nist_dir())
        .expect("nist dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "index.json" && !n.starts_with("scipy"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 27, "{names:?}");
    let settings = SolverSettings {
        tolerance: 1e-15,
        patience: 2000,
    };
    let mut problems = Vec::new();
    let mut report = Vec::new();
    let mut six_digit_runs = 0;
    for file in &names {
        let data: Value =
            serde_json::from_str(&std::fs::read_to_string(nist_dir().join(file)).expect("file"))
                .expect("json");
        let name = data["name"].as_str().expect("name").to_string();
        let log_y = data["response_is_log_y"] == true;
        let mut y = floats(&data["y"]);
        if log_y {
            y = y.iter().map(|v| v.ln()).collect();
        }
        let (x, x2) = if data.get("x1").is_some() {
            (floats(&data["x1"]), floats(&data["x2"]))
        } else {
            (floats(&data["x"]), Vec::new())
        };
        let certified = floats(&data["certified_params"]);
        let certified_rss = data["certified_rss"].as_f64().expect("rss");
        let problem = Problem {
            name: name.clone(),
            x,
            x2,
            y,
            n_params: certified.len(),
        };
        for start_key in ["start1", "start2"] {
            let start = floats(&data[start_key]);
            let minimum = minimize(&problem, &start, settings);
            let min_lre = minimum
                .params
                .iter()
                .zip(&certified)
                .map(|(e, c)| lre(*e, *c))
                .fold(f64::INFINITY, f64::min);
            let rss_lre = lre(minimum.rss, certified_rss);
            let minpack_lre = scipy["results"]
                .as_array()
                .and_then(|runs| {
                    runs.iter()
                        .find(|r| r["name"] == name.as_str() && r["start"] == start_key)
                })
                .and_then(|r| r["min_lre_params"].as_f64())
                .unwrap_or(0.0);
            report.push(format!(
                "{name} {start_key}: min LRE {min_lre:.1} (MINPACK {minpack_lre:.1}), RSS LRE {rss_lre:.1}, {} evaluations, {}",
                minimum.evaluations, minimum.termination
            ));
            if min_lre >= 6.0 {
                six_digit_runs += 1;
            }
            if minpack_lre >= 6.0 && min_lre < 6.0 {
                problems.push(format!(
                    "{name} {start_key}: {min_lre:.2} digits where MINPACK reaches {minpack_lre:.2}"
                ));
            }
            // Lanczos1's certified RSS (1.4e-25) lies below the double-precision round-off
            // of its data, so no RSS digits can be matched although every parameter is.
            // Everywhere else the certified RSS is reached to 4 digits.
            let known_hard = name == "Lanczos1";
            if !known_hard && rss_lre < 4.0 {
                problems.push(format!("{name} {start_key}: RSS LRE {rss_lre:.2}"));
            }
        }
    }
    println!("{}", report.join("\n"));
    assert!(
        problems.is_empty(),
        "{}\n\nall runs:\n{}",
        problems.join("\n"),
        report.join("\n")
    );
    // MINPACK (finite differences) reaches 6 digits on 47 of 54 runs; with exact Jacobians
    // and overflowing trial steps rejected instead of fatal, every run reaches 6 digits,
    // including BoxBOD start 1 and Hahn1 where MINPACK fails.
    assert_eq!(six_digit_runs, 54, "{}", report.join("\n"));
}
