"""Writes the hand-built reader-export variants in this folder (byte for byte reproducible).

Each file is a kind of export platefit had not seen, built from the vendor format as
`FORMATS.md` describes it (and the real exports in ../platefiles), or a damaged copy of a real
export. Run from anywhere: python3 tests/data/variants/make_variants.py
Only the Python standard library is used (xlsx files are written as plain OOXML zips).
"""
import random
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

here = Path(__file__).parent
data = here.parent
ROWS = "ABCDEFGH"


# --- a minimal xlsx writer: numbers, inline strings, formulas with cached values ----------
def col_name(col):
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def cell_xml(ref, value):
    if value is None:
        return ""
    if isinstance(value, tuple):  # ("=FORMULA(...)", cached number)
        formula, cached = value
        return f'<c r="{ref}"><f>{escape(formula.lstrip("="))}</f><v>{cached!r}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def sheet_xml(rows):
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows):
        cells = "".join(cell_xml(f"{col_name(c)}{r + 1}", v) for c, v in enumerate(row))
        if cells:
            out.append(f'<row r="{r + 1}">{cells}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


def write_xlsx(path, sheets):
    """sheets: list of (name, rows); rows are lists of cell values."""
    ct = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">',
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
          '<Default Extension="xml" ContentType="application/xml"/>',
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>']
    wb_sheets, wb_rels = [], []
    for i, (name, _) in enumerate(sheets, 1):
        ct.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
        wb_sheets.append(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>')
        wb_rels.append(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>')
    ct.append("</Types>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        def put(name, text):
            info = zipfile.ZipInfo(name, date_time=(2026, 12, 3, 8, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
        put("[Content_Types].xml", "".join(ct))
        put("_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>")
        put("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(wb_sheets) + "</sheets></workbook>")
        put("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(wb_rels) + "</Relationships>")
        for i, (_, rows) in enumerate(sheets, 1):
            put(f"xl/worksheets/sheet{i}.xml", sheet_xml(rows))


# --- 1. SoftMax Pro PlateFormat without the column-number line ---------------------------
def softmax_without_column_line():
    """Two wavelengths side by side (450, 650), endpoint, raw; the `Plate:` header is
    followed directly by the rows: the first field is the temperature on the first row and
    empty on the others (no time field for an endpoint read)."""
    lines = ["##BLOCKS= 1\t"]
    lines.append("Plate:\tPlate1\t1.3\tPlateFormat\tEndpoint\tAbsorbance\tRaw\tFALSE\t1\t\t\t\t\t\t2\t450 650 \t1\t12\t96\t1\t8\t\t\t")
    for r in range(8):
        a = [f"{0.1 + r * 0.1 + c * 0.01:.4f}" for c in range(12)]
        b = [f"{0.04 + r * 0.001 + c * 0.0001:.4f}" for c in range(12)]
        lead = "23.6" if r == 0 else ""
        lines.append("\t".join([lead] + a + [""] + b) + "\t")
    lines.append("")
    lines.append("~End")
    lines.append("Original Filename: variant; Date Last Saved: 12/3/2026 8:00:00 AM")
    (here / "softmax_plateformat_without_column_line.txt").write_bytes(("\r\n".join(lines) + "\r\n").encode())


# --- 2. EnVision CSV with bare grids, several plates, no `Results for` title --------------
def envision_bare_grids():
    out = []
    for plate in (1, 2):
        out.append("Plate information ")
        out.append("Plate,Repeat,Barcode,Measured height,Chamber temperature at start,Chamber temperature at end,"
                   "Humidity at start,Humidity at end,Ambient temperature at start,Ambient temperature at end,Group,"
                   "Label,ScanX,ScanY,Measinfo,Kinetics,Measurement date,")
        out.append(f'{plate},1,="PL00{plate}",6.50,23.12,23.15,N/A,N/A,22.80,22.90,1,A450(1),0,0,'
                   f"De=1st Ex=Btm Em=N/A,0,12/3/2026 7:{10 + plate}:00 AM,")
        out.append("")
        for r in range(8):
            out.append(",".join(f"{plate + r * 0.1 + c * 0.001:.4f}" for c in range(12)) + ",")
        out.append(",,,,,,,,,,,,")
        out.append("")
    out.append("Basic assay information ")
    out.append("Assay ID: ,,,,1001")
    out.append("Plate type:,,,,96 General")
    out.append("Number of rows,,,,8")
    out.append("Number of columns,,,,12")
    out.append("Exported with EnVision Workstation version 1.14.3049.1193")
    (here / "envision_bare_grids.csv").write_bytes(("\r\n".join(out) + "\r\n").encode())


# --- 3. Tecan i-control kinetic, two measurements (absorbance + fluorescence) -------------
def icontrol_two_measurements():
    rows = []

    def row(*cells):
        rows.append(list(cells))

    row("Application: Tecan i-control", None, None, None, "Tecan i-control , 3.9.1.0")
    row("Device: infinite M Plex", None, None, None, "Serial number: 1234567")
    row("Firmware: V_3.40_01/15_Infinite (Dec 10 2020/11.58.47)")
    row()
    row("Date:", "03.12.2026")
    row("Time:", "07:40:12")
    row()
    row("System", None, None, None, "LAB-PC-17")
    row("User", None, None, None, "LAB-PC-17\\user")
    row("Plate", None, None, None, "Greiner 96 Flat Black [GRE96fb_chimney.pdf]")
    row()
    row("List of actions in this measurement script:")
    row("Kinetic")
    row("Absorbance")
    row("Fluorescence Intensity")
    row()
    row("Kinetic Measurement")
    row("Kinetic Cycles", None, None, None, 3)
    row("Interval Time", None, None, None, 600, "s")
    row()
    row("OD")
    row("Mode", None, None, None, "Absorbance")
    row("Measurement Wavelength", None, None, None, 600, "nm")
    row("Bandwidth", None, None, None, 9, "nm")
    row("Number of Flashes", None, None, None, 10)
    row()
    row("GFP")
    row("Mode", None, None, None, "Fluorescence Top Reading")
    row("Excitation Wavelength", None, None, None, 485, "nm")
    row("Emission Wavelength", None, None, None, 535, "nm")
    row("Excitation Bandwidth", None, None, None, 9, "nm")
    row("Emission Bandwidth", None, None, None, 20, "nm")
    row("Gain", None, None, None, 80, "Manual")
    row("Number of Flashes", None, None, None, 25)
    row()
    row("Start Time:", "03.12.2026 07:40:15")
    row()
    for name, base, step in (("OD", 0.1, 0.05), ("GFP", 1000.0, 250.0)):
        row(name)
        row("Cycle Nr.", 1, 2, 3)
        row("Time [s]", 0, 600.2, 1200.5)
        row("Temp. [°C]", 37.1, 37.2, 37.0)
        for r in range(8):
            for c in range(12):
                values = [round(base + step * t + r * base * 0.1 + c * base * 0.01, 4) for t in range(3)]
                if name == "GFP" and r == 0 and c == 0:
                    values[2] = "OVER"
                row(f"{ROWS[r]}{c + 1}", *values)
        row()
    row("End Time:", "03.12.2026 08:00:40")
    write_xlsx(here / "icontrol_kinetic_two_measurements.xlsx", [("Sheet0", rows)])


# --- 4. SkanIt workbook where a user typed formulas into the result grid -------------------
def skanit_formula_cells():
    rows = [["Measurement results"], ["variant session.skax"], ["12/3/2026 7:30:00 AM"], [], [],
            ["Wavelength: 450 nm"], [], ["Plate 1"], [],
            ["Abs"] + [float(c) for c in range(1, 13)]]
    for r in range(8):
        values = [round(0.2 + r * 0.1 + c * 0.01, 4) for c in range(12)]
        row = [ROWS[r]] + values
        sheet_row = 11 + r  # 1-based row of this plate row
        if r in (2, 3):
            # The user replaced two cells of the grid by the mean of the first three columns.
            mean = round(sum(values[:3]) / 3, 6)
            row[12] = (f"=AVERAGE(B{sheet_row}:D{sheet_row})", mean)
        # A user column beside the grid (outside it: not part of the plate).
        row += [None, "uM", (f"=B{sheet_row}*2", values[0] * 2)]
        rows.append(row)
    general = [[None, "General information"], [], [None, "Report generated by", None, "SkanIt Software 7.0 RE"]]
    write_xlsx(here / "skanit_formula_cells.xlsx",
               [("Absorbance 1_01", rows), ("General information", general)])


# --- 5. Gen5 xlsx kinetic with locale-damaged numbers (1.044 stored as 1044) ---------------
def gen5_locale_damaged():
    """The real Gen5 Excel export (../platefiles/biotek-gen5-xlsx/BioTek_Epoch2.xlsx) with
    every OD written with three decimals in the first 150 rows of its kinetic table read as
    a whole number (0.365 -> 365), as a re-save in a locale whose thousands separator is the
    point does."""
    import re
    source = data / "platefiles" / "biotek-gen5-xlsx" / "BioTek_Epoch2.xlsx"
    with zipfile.ZipFile(source) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    out = here / "gen5_xlsx_kinetic_locale_damaged.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, payload in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                text = payload.decode()

                def damage(m):
                    col, row, attrs, value = m.group(1), int(m.group(2)), m.group(3), m.group(4)
                    # "0.365" read where the point groups thousands becomes 365.
                    if 40 <= row <= 189 and col not in ("A", "B", "C") and re.fullmatch(r"\d+\.\d{3}", value):
                        return f'<c r="{col}{row}"{attrs}><v>{int(value.replace(".", ""))}</v></c>'
                    return m.group(0)

                text = re.sub(r'<c r="([A-Z]+)(\d+)"([^>]*)><v>([0-9.Ee+-]+)</v></c>', damage, text)
                payload = text.encode()
            zout.writestr(info, payload)


# --- 6. The sample plate with its 630 nm block cut off after row C -------------------------
def sample_truncated():
    text = (data.parent.parent / "sample_plates" / "flumatinib_K562_72h.csv").read_text()
    lines = text.splitlines()
    cut = lines.index(next(l for l in lines if l.startswith("630,"))) + 4  # header + A, B, C
    (here / "sample_630_cut_after_row_C.csv").write_text("\n".join(lines[:cut]) + "\n")


# --- 7. The sample plate with saturated blank wells (blank above the vehicle) --------------
def sample_blank_above_vehicle():
    text = (data.parent.parent / "sample_plates" / "flumatinib_K562_72h.csv").read_text()
    out = []
    block = None
    for line in text.splitlines():
        fields = line.split(",")
        if fields and fields[0] in ("450", "630"):
            block = fields[0]
        if block == "450" and fields[0] in ("B", "C", "D", "E", "F") and len(fields) > 2:
            fields[1] = {"B": "3.4120", "C": "3.3870", "D": "3.4410", "E": "3.4002", "F": "3.3995"}[fields[0]]
            # The vehicle wells of this damaged plate read low.
            fields[2] = f"{float(fields[2]) * 0.2:.4f}"
        if block == "450" and fields[0] == "G" and len(fields) > 2:
            fields[2] = f"{float(fields[2]) * 0.2:.4f}"
        out.append(",".join(fields))
    (here / "sample_blank_above_vehicle.csv").write_text("\n".join(out) + "\n")


# --- 8. The sample plate cut between its blocks, at a line end or inside a line -----------
# A plain CSV declares no size, so a cut is visible only where it leaves a trace: a grid
# header with no rows after it, a last row with too few values, or a last number shorter
# than all the others. A cut exactly after a complete block leaves none: such a file is a
# valid one-block export, and is read as one.
def sample_cut_between_blocks():
    text = (data.parent.parent / "sample_plates" / "flumatinib_K562_72h.csv").read_text()
    lines = text.splitlines()
    header = lines.index(next(l for l in lines if l.startswith("630,")))
    # The 630 nm header is the last line.
    (here / "sample_cut_after_630_header.csv").write_text("\n".join(lines[: header + 1]) + "\n")
    # Inside row D of the 630 nm block, after three values, no line end.
    row_d = lines[header + 4]
    assert row_d.startswith("D,")
    (here / "sample_cut_inside_630_row_D.csv").write_text(
        "\n".join(lines[: header + 4] + [",".join(row_d.split(",")[:4])]))
    # Inside the file's last number (0.0493 becomes 0.04), no line end.
    body = text.rstrip("\n")
    assert body.endswith("0.0493")
    (here / "sample_cut_inside_last_number.csv").write_text(body[:-2])


# --- 9. Headers that declare another plate size than the grids fill ------------------------
# Gen5 names the plate type in its header; EnVision states rows and columns in its trailer.
# A changed declaration (a damaged or hand-edited file) must be said, not silently obeyed.
def declared_size_mismatch():
    src = data / "platefiles"
    gen5 = (src / "biotek-gen5" / "endpoint_stdcurve_singleplate_2.txt").read_bytes()
    assert b"Plate Type\t96 WELL PLATE" in gen5
    (here / "gen5_plate_type_384_over_96_grid.txt").write_bytes(
        gen5.replace(b"Plate Type\t96 WELL PLATE", b"Plate Type\t384 WELL PLATE", 1))
    envision = (src / "perkinelmer-envision-csv" / "PE_Envision_fluorescence_example01.csv").read_bytes()
    assert b"Number of rows,,,,8\r\n" in envision and b"Number of columns,,,,12\r\n" in envision
    (here / "envision_declares_16x24_over_8x12_grid.csv").write_bytes(
        envision.replace(b"Number of rows,,,,8\r\n", b"Number of rows,,,,16\r\n", 1)
        .replace(b"Number of columns,,,,12\r\n", b"Number of columns,,,,24\r\n", 1))


if __name__ == "__main__":
    random.seed(12)
    softmax_without_column_line()
    envision_bare_grids()
    icontrol_two_measurements()
    skanit_formula_cells()
    gen5_locale_damaged()
    sample_truncated()
    sample_blank_above_vehicle()
    sample_cut_between_blocks()
    declared_size_mismatch()
