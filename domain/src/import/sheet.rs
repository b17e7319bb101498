//! XLSX read within limits. A spreadsheet says how big it is (its declared
//! dimension, the positions of its cells, the sizes in its zip directory),
//! and all of that can lie: two cells at A1 and XFD1048576 make a reader
//! that allocates by range ask for half a terabyte. Here nothing is
//! allocated from what the file declares. Every zip entry is read through a
//! byte budget (what it actually inflates to, not what it claims), cells are
//! kept sparse by row, and a value beyond the row or column limit refuses
//! the file. Call it off the async runtime (it is CPU work).
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::{DomainError, DomainResult};

/// Limits a sheet must stay within.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Rows with values, the header included.
    pub rows: usize,
    /// Highest column index (1-based) holding a value.
    pub columns: usize,
    /// Cells with values.
    pub cells: usize,
    /// Bytes all the entries read may inflate to together.
    pub uncompressed: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            rows: crate::import::MAX_ROWS + 1,
            columns: 256,
            cells: 4_000_000,
            uncompressed: 200 * 1024 * 1024,
        }
    }
}

/// The longest text one cell may hold (an opinion's body is far shorter).
const MAX_CELL_BYTES: usize = 256 * 1024;

fn bad(rule: &'static str) -> DomainError {
    DomainError::validation("file", rule)
}

struct Book<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    budget: u64,
}

impl Book<'_> {
    /// The entry's bytes, or `None` if it is not there; counts against the budget.
    fn entry(&mut self, name: &str) -> DomainResult<Option<Vec<u8>>> {
        let file = match self.zip.by_name(name) {
            Ok(f) => f,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(_) => return Err(bad("bad_sheet")),
        };
        let mut out = Vec::new();
        let read = file
            .take(self.budget + 1)
            .read_to_end(&mut out)
            .map_err(|_| bad("bad_sheet"))? as u64;
        if read > self.budget {
            return Err(bad("too_large_uncompressed"));
        }
        self.budget -= read;
        Ok(Some(out))
    }

    /// Parses an entry as it inflates, never holding its whole text: `parse`
    /// gets an XML reader over the entry, cut at the remaining budget. A
    /// parse that ran into the cut is `too_large_uncompressed`.
    fn stream<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&mut Reader<std::io::BufReader<Counted<'_>>>) -> DomainResult<T>,
    ) -> DomainResult<Option<T>> {
        let file = match self.zip.by_name(name) {
            Ok(f) => f,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(_) => return Err(bad("bad_sheet")),
        };
        let read = std::cell::Cell::new(0u64);
        let overlong = std::cell::Cell::new(false);
        let counted = Counted {
            inner: Box::new(file.take(self.budget + 1)),
            read: &read,
            since_tag: 0,
            overlong: &overlong,
        };
        let mut reader = Reader::from_reader(std::io::BufReader::with_capacity(64 * 1024, counted));
        let out = parse(&mut reader);
        if overlong.get() {
            return Err(bad("cell_too_long"));
        }
        if read.get() > self.budget {
            return Err(bad("too_large_uncompressed"));
        }
        self.budget -= read.get();
        out.map(Some)
    }
}

/// A reader that counts what passes through it, and stops a run of text
/// with no markup longer than any cell may be: the XML parser hands a text
/// node over whole, so without this one huge node would be buffered.
struct Counted<'a> {
    inner: Box<dyn Read + 'a>,
    read: &'a std::cell::Cell<u64>,
    since_tag: usize,
    overlong: &'a std::cell::Cell<bool>,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        match buf[..n].iter().rposition(|b| *b == b'<') {
            Some(at) => self.since_tag = n - at - 1,
            None => self.since_tag += n,
        }
        if self.since_tag > 4 * MAX_CELL_BYTES {
            self.overlong.set(true);
            return Err(std::io::Error::other("text run too long"));
        }
        Ok(n)
    }
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name || a.key.local_name().as_ref() == name)
        .map(|a| a.value.into_owned())
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Text with `&amp;`-style references resolved.
fn push_text(out: &mut String, ev: &Event) -> DomainResult<()> {
    match ev {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.xml10_content()),
        Event::GeneralRef(r) => {
            let name = r.as_ref();
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => r.resolve_char_ref().map_err(|_| bad("bad_sheet"))?,
            };
            out.push(c.ok_or(bad("bad_sheet"))?);
        }
        _ => {}
    }
    Ok(())
}

/// The path of the workbook's first sheet.
fn first_sheet(book: &mut Book) -> DomainResult<String> {
    let fallback = "xl/worksheets/sheet1.xml".to_owned();
    let Some(wb) = book.entry("xl/workbook.xml")? else {
        return Ok(fallback);
    };
    let mut rid = None;
    let mut r = Reader::from_reader(wb.as_slice());
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if local(e.name().as_ref()) == "sheet" => {
                rid = attr(&e, "id");
                break;
            }
            Ok(Event::Eof) => break,
            Err(_) => return Err(bad("bad_sheet")),
            _ => {}
        }
    }
    let (Some(rid), Some(rels)) = (rid, book.entry("xl/_rels/workbook.xml.rels")?) else {
        return Ok(fallback);
    };
    let mut r = Reader::from_reader(rels.as_slice());
    loop {
        buf.clear();
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e))
                if local(e.name().as_ref()) == "Relationship"
                    && attr(&e, "Id").as_deref() == Some(rid.as_str()) =>
            {
                let target = attr(&e, "Target").ok_or(bad("bad_sheet"))?;
                return Ok(match target.strip_prefix('/') {
                    Some(abs) => abs.to_owned(),
                    None => format!("xl/{target}"),
                });
            }
            Ok(Event::Eof) => return Ok(fallback),
            Err(_) => return Err(bad("bad_sheet")),
            _ => {}
        }
    }
}

fn shared_strings(book: &mut Book, limits: &Limits) -> DomainResult<Vec<String>> {
    let parsed = book.stream("xl/sharedStrings.xml", |r| parse_shared_strings(r, limits))?;
    Ok(parsed.unwrap_or_default())
}

fn parse_shared_strings<R: std::io::BufRead>(
    r: &mut Reader<R>,
    limits: &Limits,
) -> DomainResult<Vec<String>> {
    // The text kept may take at most half the budget (cells copy it again).
    let mut kept = 0u64;
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let (mut in_t, mut in_phonetic) = (false, false);
    loop {
        buf.clear();
        let ev = r.read_event_into(&mut buf).map_err(|_| bad("bad_sheet"))?;
        match &ev {
            Event::Start(e) => match local(e.name().as_ref()) {
                "si" => current = Some(String::new()),
                "t" => in_t = true,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Event::Empty(e) if local(e.name().as_ref()) == "si" => out.push(String::new()),
            Event::End(e) => match local(e.name().as_ref()) {
                "si" => {
                    let text = current.take().unwrap_or_default();
                    kept += text.len() as u64;
                    if kept > limits.uncompressed / 2 {
                        return Err(bad("too_large_uncompressed"));
                    }
                    out.push(text);
                    if out.len() > limits.cells {
                        return Err(bad("too_many_cells"));
                    }
                }
                "t" => in_t = false,
                "rPh" => in_phonetic = false,
                _ => {}
            },
            Event::Eof => break,
            _ if in_t && !in_phonetic => {
                if let Some(s) = current.as_mut() {
                    push_text(s, &ev)?;
                    if s.len() > MAX_CELL_BYTES {
                        return Err(bad("cell_too_long"));
                    }
                    if kept + s.len() as u64 > limits.uncompressed / 2 {
                        return Err(bad("too_large_uncompressed"));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// `B12` → (row 12, column 2); both 1-based.
fn cell_ref(r: &str) -> Option<(usize, usize)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = r[..letters].bytes().fold(0usize, |n, b| {
        n * 26 + (b.to_ascii_uppercase() - b'A' + 1) as usize
    });
    let row = r[letters..].parse::<usize>().ok().filter(|n| *n > 0)?;
    Some((row, col))
}

/// The first sheet's rows that hold values, in row order, cells by column
/// (gaps as empty strings). Cell values are their text as stored: numbers
/// as written in the file, booleans as TRUE/FALSE.
pub fn read_xlsx(bytes: &[u8], limits: Limits) -> DomainResult<Vec<Vec<String>>> {
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| bad("bad_sheet"))?;
    let mut book = Book {
        zip,
        budget: limits.uncompressed,
    };
    let strings = shared_strings(&mut book, &limits)?;
    let sheet_path = first_sheet(&mut book)?;
    book.stream(&sheet_path, |r| parse_sheet(r, &strings, &limits))?
        .ok_or(bad("empty"))
}

fn parse_sheet<R: std::io::BufRead>(
    r: &mut Reader<R>,
    strings: &[String],
    limits: &Limits,
) -> DomainResult<Vec<Vec<String>>> {
    let mut rows: BTreeMap<usize, BTreeMap<usize, String>> = BTreeMap::new();
    let mut cells = 0usize;
    let mut text_bytes = 0u64;
    let mut buf = Vec::new();
    let (mut row_no, mut col_no) = (0usize, 0usize);
    // The cell being read: its type and the text gathered from <v> or <is><t>.
    let mut cell: Option<(String, String)> = None;
    let mut in_value = false;
    loop {
        buf.clear();
        let ev = r.read_event_into(&mut buf).map_err(|_| bad("bad_sheet"))?;
        match &ev {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(ev, Event::Empty(_));
                match local(e.name().as_ref()) {
                    "row" => {
                        row_no = match attr(e, "r") {
                            Some(n) => n.parse().map_err(|_| bad("bad_sheet"))?,
                            None => row_no + 1,
                        };
                        col_no = 0;
                    }
                    "c" => {
                        let (row, col) = match attr(e, "r") {
                            Some(r) => cell_ref(&r).ok_or(bad("bad_sheet"))?,
                            None => (row_no.max(1), col_no + 1),
                        };
                        row_no = row;
                        col_no = col;
                        if !empty {
                            cell = Some((attr(e, "t").unwrap_or_default(), String::new()));
                        }
                    }
                    "v" | "t" if cell.is_some() && !empty => in_value = true,
                    _ => {}
                }
            }
            Event::End(e) => match local(e.name().as_ref()) {
                "v" | "t" => in_value = false,
                "c" => {
                    let Some((kind, raw)) = cell.take() else {
                        continue;
                    };
                    let value = match kind.as_str() {
                        "s" => raw
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| strings.get(i).cloned())
                            .ok_or(bad("bad_sheet"))?,
                        "b" => if raw.trim() == "1" { "TRUE" } else { "FALSE" }.to_owned(),
                        _ => raw,
                    };
                    if value.trim().is_empty() {
                        continue;
                    }
                    // Shared strings are copied into every cell that names
                    // them: what the cells hold counts against the budget.
                    text_bytes += value.len() as u64;
                    if text_bytes > limits.uncompressed {
                        return Err(bad("too_large_uncompressed"));
                    }
                    if row_no > limits.rows {
                        return Err(bad("too_many_rows"));
                    }
                    if col_no > limits.columns {
                        return Err(bad("too_many_columns"));
                    }
                    cells += 1;
                    if cells > limits.cells {
                        return Err(bad("too_many_cells"));
                    }
                    rows.entry(row_no).or_default().insert(col_no, value);
                    if rows.len() > limits.rows {
                        return Err(bad("too_many_rows"));
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ if in_value => {
                if let Some((_, text)) = cell.as_mut() {
                    push_text(text, &ev)?;
                    if text.len() > MAX_CELL_BYTES {
                        return Err(bad("cell_too_long"));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(rows
        .into_values()
        .map(|cols| {
            let width = cols.keys().next_back().copied().unwrap_or(0);
            let mut row = vec![String::new(); width];
            for (c, v) in cols {
                row[c - 1] = v.trim().to_owned();
            }
            row
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A minimal XLSX with the given sheet XML and shared strings.
    pub(crate) fn xlsx(sheet: &str, strings: &[&str]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        let opt = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("xl/workbook.xml", opt).unwrap();
        z.write_all(br#"<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#).unwrap();
        z.start_file("xl/_rels/workbook.xml.rels", opt).unwrap();
        z.write_all(br#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#).unwrap();
        z.start_file("xl/sharedStrings.xml", opt).unwrap();
        let si: String = strings
            .iter()
            .map(|s| format!("<si><t>{s}</t></si>"))
            .collect();
        z.write_all(format!("<sst>{si}</sst>").as_bytes()).unwrap();
        z.start_file("xl/worksheets/sheet1.xml", opt).unwrap();
        z.write_all(format!("<worksheet><sheetData>{sheet}</sheetData></worksheet>").as_bytes())
            .unwrap();
        z.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn reads_strings_numbers_inline_and_gaps() {
        let b = xlsx(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>
               <row r="3"><c r="A3" t="inlineStr"><is><t>路灯 &amp; 井盖</t></is></c><c r="B3"><v>13812345678</v></c><c r="C3" t="s"><v>2</v></c></row>"#,
            &["标题", "内容", "不亮了&lt;三幢&gt;"],
        );
        let rows = read_xlsx(&b, Limits::default()).unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["标题".to_owned(), String::new(), "内容".into()],
                vec![
                    "路灯 & 井盖".to_owned(),
                    "13812345678".into(),
                    "不亮了<三幢>".into()
                ],
            ]
        );
    }

    #[test]
    fn a_far_cell_is_refused_without_allocating_the_range() {
        // The 1.6 KB file of the report: A1 and XFD1048576.
        let b = xlsx(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="1048576"><c r="XFD1048576" t="s"><v>0</v></c></row>"#,
            &["x"],
        );
        assert!(b.len() < 2048, "{}", b.len());
        assert!(matches!(
            read_xlsx(&b, Limits::default()),
            Err(DomainError::Validation {
                rule: "too_many_rows" | "too_many_columns",
                ..
            })
        ));
        let b = xlsx(r#"<row r="1"><c r="XFD1" t="s"><v>0</v></c></row>"#, &["x"]);
        assert!(matches!(
            read_xlsx(&b, Limits::default()),
            Err(DomainError::Validation {
                rule: "too_many_columns",
                ..
            })
        ));
        // Styled empty cells far away are fine: they hold nothing.
        let b = xlsx(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="XFD1" s="3"/></row>"#,
            &["x"],
        );
        assert_eq!(
            read_xlsx(&b, Limits::default()).unwrap(),
            vec![vec!["x".to_owned()]]
        );
    }

    #[test]
    fn a_zip_bomb_stops_at_the_byte_budget() {
        // 50 MB of repeated strings compresses to a few hundred KB.
        let one = "电".repeat(100 * 1024 / 3);
        let many: Vec<&str> = (0..500).map(|_| one.as_str()).collect();
        let b = xlsx(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#, &many);
        assert!(b.len() < 1024 * 1024, "{}", b.len());
        let small = Limits {
            uncompressed: 10 * 1024 * 1024,
            ..Limits::default()
        };
        assert_too_large(&b, small);
    }

    fn assert_too_large(b: &[u8], limits: Limits) {
        assert!(matches!(
            read_xlsx(b, limits),
            Err(DomainError::Validation {
                rule: "too_large_uncompressed",
                ..
            })
        ));
    }

    #[test]
    fn one_shared_string_in_many_cells_counts_every_copy() {
        let big = "a".repeat(200 * 1024);
        let sheet: String = (1..=100)
            .map(|r| format!(r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>"#))
            .collect();
        let b = xlsx(&sheet, &[&big]);
        let small = Limits {
            uncompressed: 16 * 1024 * 1024,
            ..Limits::default()
        };
        assert_too_large(&b, small);
    }

    #[test]
    fn a_cell_longer_than_any_opinion_is_refused() {
        let long = "长".repeat(100_000);
        let b = xlsx(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#, &[&long]);
        assert!(matches!(
            read_xlsx(&b, Limits::default()),
            Err(DomainError::Validation {
                rule: "cell_too_long",
                ..
            })
        ));
    }

    #[test]
    fn too_many_cells_and_garbage() {
        let sheet: String = (1..=20)
            .map(|r| {
                format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>1</v></c></row>"#)
            })
            .collect();
        let b = xlsx(&sheet, &[]);
        let few = Limits {
            cells: 30,
            ..Limits::default()
        };
        assert!(matches!(
            read_xlsx(&b, few),
            Err(DomainError::Validation {
                rule: "too_many_cells",
                ..
            })
        ));
        assert!(read_xlsx(b"PK\x03\x04garbage", Limits::default()).is_err());
        assert!(read_xlsx(b"", Limits::default()).is_err());
        let b = xlsx(r#"<row r="1"><c r="A1" t="s"><v>7</v></c></row>"#, &["x"]);
        assert!(
            read_xlsx(&b, Limits::default()).is_err(),
            "string index out of range"
        );
    }
}
