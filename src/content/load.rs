//! Reading data files and reporting their problems as `file:line:column: what`.
//!
//! Syntax and type errors come from serde_json with their exact position. Problems
//! found by the checks afterwards (an unknown placeholder, a duplicate name) are
//! placed by looking for the offending text in the file: the placeholder itself,
//! else the quoted name of the scenario or playbook it belongs to.

use std::borrow::Cow;
use std::path::Path;

use serde::de::DeserializeOwned;

/// Why the library could not be loaded; one line, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{path}:{line}:{column}: {message}")]
    Located {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

/// A data file: where it comes from (for messages) and its text.
#[derive(Debug)]
pub(super) struct Source {
    pub path: String,
    pub text: Cow<'static, str>,
}

impl Source {
    pub fn embedded(name: &str, text: &'static str) -> Source {
        Source {
            path: format!("(built-in) {name}"),
            text: Cow::Borrowed(text),
        }
    }

    /// The 1-based line and column (in characters) of a byte offset.
    fn position(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    fn located(&self, offset: usize, message: String) -> LoadError {
        let (line, column) = self.position(offset);
        LoadError::Located {
            path: self.path.clone(),
            line,
            column,
            message,
        }
    }
}

/// Parses a whole file; a syntax or shape error keeps serde_json's position.
pub(super) fn parse<T: DeserializeOwned>(source: &Source) -> Result<T, LoadError> {
    serde_json::from_str(&source.text).map_err(|e| {
        let text = e.to_string();
        // serde_json appends " at line L column C"; we print the position first.
        let message = match text.rfind(" at line ") {
            Some(cut) => text[..cut].to_string(),
            None => text,
        };
        LoadError::Located {
            path: source.path.clone(),
            line: e.line().max(1),
            column: e.column().max(1),
            message,
        }
    })
}

/// Every `*.json` file of `dir`, in name order. Other files are left alone, so a
/// README next to the scenarios does no harm.
pub(super) fn read_dir(dir: &Path) -> Result<Vec<Source>, LoadError> {
    let fail = |message: String| LoadError::File {
        path: dir.display().to_string(),
        message,
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| fail(format!("cannot read the scenario directory: {e}")))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| fail(format!("cannot list the scenario directory: {e}")))?
            .path();
        if path.extension().is_some_and(|x| x == "json") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| LoadError::File {
                path: path.display().to_string(),
                message: format!("cannot read the scenario file: {e}"),
            })?;
            Ok(Source {
                path: path.display().to_string(),
                text: Cow::Owned(text),
            })
        })
        .collect()
}

/// A problem the checks found, and how to find it in the file: the text of what
/// it belongs to (a quoted scenario name), then texts searched after that, best
/// first (the offending template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub message: String,
    pub anchor: String,
    pub needles: Vec<String>,
}

/// Where a problem is: `anchor`'s first occurrence, refined by `needles`.
#[derive(Debug, Clone, Copy)]
pub(super) struct At<'a> {
    pub anchor: &'a str,
    pub needles: &'a [&'a str],
}

impl<'a> At<'a> {
    pub fn new(anchor: &'a str, needles: &'a [&'a str]) -> At<'a> {
        At { anchor, needles }
    }
}

/// Every problem found in one file, so tests can list them all; the program
/// reports the first.
#[derive(Debug, Default)]
pub(super) struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn push(&mut self, message: String, at: At) {
        self.0.push(Problem {
            message,
            anchor: at.anchor.to_string(),
            needles: at.needles.iter().map(|n| n.to_string()).collect(),
        });
    }

    /// Records `message` unless `ok`.
    pub fn require(&mut self, ok: bool, message: impl FnOnce() -> String, at: At) {
        if !ok {
            self.push(message(), at);
        }
    }

    #[cfg(test)]
    pub fn messages(&self) -> Vec<String> {
        self.0.iter().map(|p| p.message.clone()).collect()
    }

    /// The first problem, placed in `source`, with a count of the others.
    pub fn locate(self, source: &Source) -> Result<(), LoadError> {
        let Some(first) = self.0.first() else {
            return Ok(());
        };
        let more = match self.0.len() - 1 {
            0 => String::new(),
            1 => " (and 1 more problem)".to_string(),
            n => format!(" (and {n} more problems)"),
        };
        let text = &source.text;
        let start = Some(first.anchor.as_str())
            .filter(|a| !a.is_empty())
            .and_then(|a| text.find(a))
            .unwrap_or(0);
        let offset = first
            .needles
            .iter()
            .filter(|n| !n.is_empty())
            .find_map(|n| text[start..].find(n.as_str()).map(|i| start + i))
            .unwrap_or(start);
        Err(source.located(offset, format!("{}{more}", first.message)))
    }
}

/// A string as it appears inside a JSON string literal (without the quotes), so
/// a template can be found in the file it came from.
pub(super) fn json_text(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(&quoted)
        .to_string()
}

/// A name as it appears quoted in a file.
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", json_text(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source {
            path: "x.json".into(),
            text: Cow::Owned(text.to_string()),
        }
    }

    #[test]
    fn a_syntax_error_names_the_file_line_and_column() {
        let err = parse::<serde_json::Value>(&source("{\n  \"a\": [1,\n  2,,]\n}")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("x.json:3:5: "), "{text}");
        assert!(!text.contains("at line"), "{text}");
    }

    #[test]
    fn a_problem_is_placed_at_the_first_needle_found_after_its_anchor() {
        let mut p = Problems::default();
        let at = At::new("\"b\"", &["{nope}", "{ordr}"]);
        p.push("unknown placeholder {ordr}".into(), at);
        p.push("second".into(), At::new("", &[]));
        let text = "{\"a\": \"{ordr}\",\n \"b\": \"See {ordr}\"\n}";
        let err = p.locate(&source(text)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.json:2:12: unknown placeholder {ordr} (and 1 more problem)"
        );
    }

    #[test]
    fn a_problem_without_a_needle_found_is_placed_at_its_anchor() {
        let mut p = Problems::default();
        p.push("bad".into(), At::new("\"b\"", &["zzz"]));
        let err = p.locate(&source("{\n\n  \"b\": 1}")).unwrap_err();
        assert_eq!(err.to_string(), "x.json:3:3: bad");
    }

    #[test]
    fn no_problem_is_no_error() {
        assert!(Problems::default().locate(&source("{}")).is_ok());
    }

    #[test]
    fn templates_are_searched_in_their_json_form() {
        assert_eq!(json_text("say \"hi\"\nbye"), "say \\\"hi\\\"\\nbye");
        assert_eq!(quoted("late-delivery"), "\"late-delivery\"");
    }

    #[test]
    fn a_missing_directory_is_a_one_line_error_naming_it() {
        let err = read_dir(Path::new("/nonexistent/ticketsim-scenarios")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("/nonexistent/ticketsim-scenarios: "),
            "{text}"
        );
        assert!(!text.contains('\n'));
    }
}
