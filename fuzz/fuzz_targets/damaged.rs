//! Fuzzes damaged exports: a valid export (the sample plate or a hand-built variant) is cut
//! at a line, has two blocks swapped or one duplicated, or a number in a header line changed,
//! as the fuzz bytes choose. The importer must not panic, and a read it returns must never be
//! silently shorter or shifted: each value equals the original well's value, and a well
//! whose value is lost is flagged missing in a read marked incomplete.
#![no_main]

use libfuzzer_sys::fuzz_target;
use platefit::import::import_bytes;
use platefit::plate::MISSING_FLAG;

const EXPORTS: &[&str] = &[
    include_str!("../../sample_plates/flumatinib_K562_72h.csv"),
    include_str!("../../tests/data/variants/softmax_plateformat_without_column_line.txt"),
    include_str!("../../tests/data/variants/envision_bare_grids.csv"),
    include_str!(
        "../../tests/data/platefiles/molecular-devices-softmaxpro/softmaxpro_example_reduced.txt"
    ),
];

/// The index of `envision_bare_grids.csv` in [`EXPORTS`].
const BARE_GRIDS: usize = 2;

fn mutate(text: &str, data: &[u8]) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let pick = |i: usize| usize::from(data.get(i).copied().unwrap_or(0));
    let n = lines.len().max(1);
    match pick(1) % 4 {
        0 => lines[..(pick(2) * 256 + pick(3)) % n].concat(),
        1 | 2 => {
            // Blocks: runs of lines up to a blank line (a plate grid with its title).
            let mut blocks: Vec<String> = vec![String::new()];
            for line in &lines {
                if let Some(last) = blocks.last_mut() {
                    last.push_str(line);
                }
                if line.trim().is_empty() {
                    blocks.push(String::new());
                }
            }
            let m = blocks.len();
            let (a, b) = (pick(2) % m, pick(3) % m);
            if pick(1) % 4 == 1 {
                blocks.swap(a, b);
            } else {
                let copy = blocks[a].clone();
                blocks.insert(b, copy);
            }
            blocks.concat()
        }
        _ => {
            // Header lines only (a declared size, count or position), as in the property
            // `declared_size_changed`: a changed reading in a data line is a different, valid
            // measurement that no importer can tell from the original.
            let headers: Vec<usize> = (0..lines.len())
                .filter(|i| {
                    let l = lines[*i];
                    l.starts_with("Plate:")
                        || l.starts_with("##BLOCKS")
                        || l.contains(",1,2,3")
                        || l.contains("\t1\t2\t3")
                        || l.starts_with("Number of")
                })
                .collect();
            let Some(&target) = headers.get((pick(2) * 256 + pick(3)) % headers.len().max(1))
            else {
                return text.to_string();
            };
            let value = (pick(4) * 256 + pick(5)).to_string();
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if i != target {
                        return (*l).to_string();
                    }
                    let delimiter = if l.contains('\t') { '\t' } else { ',' };
                    let mut fields: Vec<String> = l.split(delimiter).map(str::to_string).collect();
                    let numeric: Vec<usize> = (0..fields.len())
                        .filter(|i| fields[*i].trim().parse::<usize>().is_ok())
                        .collect();
                    if let Some(at) = numeric.get(pick(6) % numeric.len().max(1)) {
                        fields[*at] = value.clone();
                    }
                    fields.join(&delimiter.to_string())
                })
                .collect()
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let which = usize::from(data.first().copied().unwrap_or(0)) % EXPORTS.len();
    let text = EXPORTS[which];
    // Bare EnVision grids carry nothing that says which plate they belong to: two of them
    // swapped or repeated whole make a different, valid file (as in the swapped-blocks
    // property of tests/robustness.rs). Cuts and changed numbers still apply to them.
    let block_move = matches!(usize::from(data.get(1).copied().unwrap_or(0)) % 4, 1 | 2);
    if which == BARE_GRIDS && block_move {
        return;
    }
    let Ok(original) = import_bytes(text.as_bytes()) else {
        return;
    };
    let damaged = mutate(text, data);
    let Ok(imported) = import_bytes(damaged.as_bytes()) else {
        return;
    };
    for plate in &imported.plates {
        let Some(full) = original.plates.iter().find(|p| p.name == plate.name) else {
            continue;
        };
        if full.shape != plate.shape {
            continue;
        }
        for read in &plate.reads {
            // Only reads whose label occurs once in both can be matched without ambiguity.
            let same: Vec<_> = full
                .reads
                .iter()
                .filter(|r| r.label == read.label && r.time_s == read.time_s)
                .collect();
            let twins = plate
                .reads
                .iter()
                .filter(|r| r.label == read.label && r.time_s == read.time_s)
                .count();
            let ([full_read], 1) = (same.as_slice(), twins) else {
                continue;
            };
            for well in plate.shape.wells() {
                match (
                    read.value_at(plate.shape, well),
                    full_read.value_at(full.shape, well),
                ) {
                    (Some(a), Some(b)) => {
                        assert!(a.to_bits() == b.to_bits(), "{} {well}: shifted", read.label)
                    }
                    (None, Some(_)) => assert!(
                        read.incomplete.is_some()
                            && read.flags.get(&well).map(String::as_str) == Some(MISSING_FLAG),
                        "{} {well}: value silently lost",
                        read.label
                    ),
                    _ => {}
                }
            }
        }
    }
});
