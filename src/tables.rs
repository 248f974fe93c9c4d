//! CSV, written and read through the `csv` crate (quoting, escaping and parsing are its job):
//! every CSV Polity writes — `metrics.csv`, `agents.csv`, a sweep's rows and series, the
//! app's export, `polity sum`'s tables, `learning.csv` — and reads back. Numbers are written
//! with Rust's shortest round-trip formatting (`0.1`, `inf`, `NaN`), as they always were;
//! a row of numbers ([`write_numbers`]: `metrics.csv`, a sweep's series) writes −0 as `0`.

use std::fmt::Write as _;
use std::io;

/// A CSV writer for a file or buffer: `\n` line ends, fields quoted only where needed.
pub fn writer<W: io::Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(w)
}

/// One record as text, with its line end.
pub fn line<I, S>(fields: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut w = writer(Vec::new());
    w.write_record(fields).expect("writing to memory");
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("fields are text")
}

/// Writes a record of a label (a tick, a run number) and numbers, formatting each number into
/// one reused buffer.
pub fn write_numbers<W: io::Write>(
    w: &mut csv::Writer<W>,
    label: impl std::fmt::Display,
    values: impl IntoIterator<Item = f64>,
    buf: &mut String,
) -> io::Result<()> {
    buf.clear();
    write!(buf, "{label}").expect("formatting to a string");
    w.write_field(buf.as_bytes())?;
    for v in values {
        buf.clear();
        // −0 (a sum that cancels, a product with a negative) is written `0`, as it reads.
        let v = if v == 0.0 { 0.0 } else { v };
        write!(buf, "{v}").expect("formatting to a string");
        w.write_field(buf.as_bytes())?;
    }
    w.write_record(None::<&[u8]>)?;
    Ok(())
}

/// A table of a header and rows of a label and numbers, as text.
pub fn numbers_table<'a>(
    header: impl IntoIterator<Item = &'a str>,
    rows: impl IntoIterator<Item = (u64, Vec<f64>)>,
) -> String {
    let mut w = writer(Vec::new());
    w.write_record(header).expect("writing to memory");
    let mut buf = String::new();
    for (label, values) in rows {
        write_numbers(&mut w, label, values, &mut buf).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("fields are text")
}

/// A real number as a CSV field that no reader takes for an integer: its shortest round-trip
/// form with a decimal point or exponent (`1.0`, `0.25`, `1e-7`, `inf`, `NaN`). For the columns
/// of a table whose values are sometimes whole (`power` of `1` here, `inf` there), so each
/// file's column reads as floating point.
pub fn real(v: f64) -> String {
    format!("{v:?}")
}

/// A number as a person gave it, for a message: its shortest round-trip form, in e-notation
/// when huge or tiny (`1e308`, `5e-324`: they were printed in 309 and 327 digits).
pub fn given(x: f64) -> String {
    if x != 0.0 && x.is_finite() && (x.abs() >= 1e15 || x.abs() < 1e-6) { format!("{x:e}") } else { format!("{x}") }
}

/// A reader of CSV text with a header row.
pub fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().from_reader(text.as_bytes())
}

/// `text`, a number written to some places, without its sign when every digit is 0: a
/// residue of rounding (`-6e-17`) or `-0.0` read `-0.000`, as if below zero.
pub fn unsigned_zero(text: String) -> String {
    match text.strip_prefix(['-', '+']) {
        Some(rest) if !rest.is_empty() && rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_zero_is_written_as_zero() {
        let t = numbers_table(["tick", "a", "b", "c"], [(3, vec![-0.0, 0.5, -1.0])]);
        assert_eq!(t, "tick,a,b,c\n3,0,0.5,-1\n");
    }

    #[test]
    fn records_are_quoted_only_where_needed_and_numbers_read_back() {
        assert_eq!(line(["tick", "a,b", "say \"hi\""]), "tick,\"a,b\",\"say \"\"hi\"\"\"\n");
        let t = numbers_table(["tick", "x", "y"], [(0, vec![0.1, f64::INFINITY]), (1, vec![-2.5, f64::NAN])]);
        assert_eq!(t, "tick,x,y\n0,0.1,inf\n1,-2.5,NaN\n");
        let mut r = reader(&t);
        let rows: Vec<Vec<f64>> =
            r.records().map(|rec| rec.unwrap().iter().map(|c| c.parse().unwrap()).collect()).collect();
        assert_eq!(rows[0], vec![0.0, 0.1, f64::INFINITY]);
        assert!(rows[1][2].is_nan());
    }

    #[test]
    fn reals_always_read_as_reals_and_read_back_exactly() {
        let cases = [(1.0, "1.0"), (3.0, "3.0"), (0.25, "0.25"), (-0.0, "-0.0"), (11.243, "11.243"), (1e-7, "1e-7")];
        for (v, text) in cases {
            assert_eq!(real(v), text);
        }
        assert_eq!(
            (real(f64::INFINITY), real(f64::NEG_INFINITY), real(f64::NAN)),
            ("inf".into(), "-inf".into(), "NaN".into())
        );
        // Every value has a point, an exponent or a word, and reads back to its own bits.
        for v in [1.0, 64.0, 1e21, 1e300, 5e-324, f64::MAX, 0.1 + 0.2, 11.242999999999999, 12345678.0] {
            let t = real(v);
            assert!(t.contains(['.', 'e']), "{t}");
            assert_eq!(t.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{t}");
        }
    }
}
