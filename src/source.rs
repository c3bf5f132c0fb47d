//! Input files and places in them: one error type for every input the tool reads (claim
//! files, simulate configs) that names the file, the line and the column, and the helpers
//! that find those places in TOML text. It imports only [`crate::expr`] (for `line_col`).

use std::fmt;
use std::path::Path;

/// An input that cannot be used: the file, the place in it and what is wrong. Its
/// [`Display`](fmt::Display) is `file:line:col: claim `id`: message` (the position and the
/// claim only when known), the form editors jump to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SourceError {
    /// file path (or catalogue name)
    pub file: String,
    /// the claim, when the error is inside one
    pub claim: Option<String>,
    /// 1-based line (0 when there is no position)
    pub line: usize,
    /// 1-based column in characters
    pub col: usize,
    /// what is wrong
    pub message: String,
}

impl SourceError {
    /// An error about the whole file (no position).
    pub fn whole(file: &str, message: impl Into<String>) -> Self {
        SourceError {
            file: file.to_string(),
            claim: None,
            line: 0,
            col: 0,
            message: message.into(),
        }
    }

    /// An error at byte `offset` of `text`, the contents of `file`.
    pub fn at(file: &str, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, col) = crate::expr::line_col(text, offset);
        SourceError {
            file: file.to_string(),
            claim: None,
            line,
            col,
            message: message.into(),
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.col)?;
        }
        f.write_str(": ")?;
        if let Some(c) = &self.claim {
            write!(f, "claim `{c}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Largest input file read (claim files, simulate configs): anything larger is refused
/// before it is read whole (`stabcert check /dev/zero`).
pub const MAX_INPUT_BYTES: u64 = 8 << 20;

/// The text of an input file, refused when larger than [`MAX_INPUT_BYTES`] or not UTF-8.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB, the most an input file may have",
            MAX_INPUT_BYTES >> 20
        )));
    }
    String::from_utf8(buf).map_err(|_| std::io::Error::other("not UTF-8 text"))
}

/// A multi-line message (TOML's `invalid table header\nexpected ...`) as one line.
pub fn one_line(msg: &str) -> String {
    msg.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The byte offset in `text` of byte `inner` of the decoded value of the TOML string that
/// starts at `start`: escapes (`\u0020`, `\t`, …), the newline that opens a multi-line
/// string and line-ending backslashes are skipped as TOML decodes them, so a column inside a
/// formula points at the right character of the file.
pub fn raw_offset(text: &str, start: usize, inner: usize) -> usize {
    let start = start.min(text.len());
    let rest = &text[start..];
    let (literal, quote) = if rest.starts_with("\"\"\"") {
        (false, 3)
    } else if rest.starts_with("'''") {
        (true, 3)
    } else if rest.starts_with('\'') {
        (true, 1)
    } else if rest.starts_with('"') {
        (false, 1)
    } else {
        return start + inner;
    };
    let b = rest.as_bytes();
    let mut i = quote;
    // a multi-line string drops a newline right after its opening quotes
    if quote == 3 {
        if b.get(i) == Some(&b'\n') {
            i += 1;
        } else if b.get(i) == Some(&b'\r') && b.get(i + 1) == Some(&b'\n') {
            i += 2;
        }
    }
    let mut decoded = 0usize;
    while i < b.len() && decoded < inner {
        if !literal && b[i] == b'\\' {
            let esc = b.get(i + 1).copied().unwrap_or(b' ');
            match esc {
                b'u' | b'U' => {
                    let n = if esc == b'u' { 4 } else { 8 };
                    let hex = rest.get(i + 2..i + 2 + n).unwrap_or("");
                    let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                    decoded += ch.map_or(1, char::len_utf8);
                    i += 2 + n;
                }
                b' ' | b'\t' | b'\n' | b'\r' if quote == 3 => {
                    // a line-ending backslash: it and the following whitespace vanish
                    i += 1;
                    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                        i += 1;
                    }
                }
                _ => {
                    decoded += 1;
                    i += 2;
                }
            }
            continue;
        }
        let len = rest[i..].chars().next().map_or(1, char::len_utf8);
        decoded += len;
        i += len;
    }
    start + i
}
