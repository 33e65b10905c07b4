//! The optional `.env` file: found in the working directory or one of its
//! parents (as dotenvy does), parsed with dotenvy, and loaded into the process
//! environment without overriding what is already set. A parse error names
//! the file, the line number, the line (a secret's value masked) and a remedy.

use std::path::{Path, PathBuf};

/// Variable names whose values are never echoed in an error.
const SECRET_HINTS: [&str; 4] = ["KEY", "SECRET", "PASSWORD", "TOKEN"];

/// Finds `.env` from the working directory upwards and loads it. No file is
/// fine; a file that does not parse is a configuration error.
pub fn load_dotenv() -> Result<Option<PathBuf>, String> {
    let Some(path) = find_dotenv() else {
        return Ok(None);
    };
    let Some(pairs) = read_dotenv(&path)? else {
        return Ok(None);
    };
    for (key, value) in pairs {
        if std::env::var_os(&key).is_none() {
            // SAFETY: called from `main` before the runtime or any other thread starts.
            unsafe { std::env::set_var(&key, value) };
        }
    }
    Ok(Some(path))
}

fn find_dotenv() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .map(|d| d.join(".env"))
        .find(|p| p.is_file())
}

/// The variables of a `.env`-style file, in order; `None` when it does not exist.
pub fn read_dotenv(path: &Path) -> Result<Option<Vec<(String, String)>>, String> {
    let name = shown_name(path);
    let iter = match dotenvy::from_path_iter(path) {
        Ok(it) => it,
        Err(e) if e.not_found() => return Ok(None),
        Err(e) => {
            return Err(format!(
                "{name}: cannot read it ({e}); fix or remove the file"
            ));
        }
    };
    let mut pairs = Vec::new();
    for item in iter {
        match item {
            Ok(pair) => pairs.push(pair),
            Err(dotenvy::Error::LineParse(bad, column)) => {
                return Err(parse_error(path, &name, &bad, column));
            }
            Err(e) => return Err(format!("{name}: {e}; fix or remove the file")),
        }
    }
    Ok(Some(pairs))
}

/// `.env` as given when it is in the working directory, else its full path.
fn shown_name(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    match path.strip_prefix(&cwd) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

fn parse_error(path: &Path, name: &str, bad: &str, column: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let needle = bad.lines().next().unwrap_or_default().trim();
    let found = text.lines().enumerate().find(|(_, l)| {
        let t = l.trim_start();
        !t.starts_with('#') && !needle.is_empty() && t.contains(needle)
    });
    let remedy =
        "quote values that contain spaces or # (KEY=\"a b\"), or comment the line out with #";
    match found {
        Some((i, line)) => format!(
            "{name}:{}: cannot parse {} (at character {}); {remedy}",
            i + 1,
            masked(line.trim()),
            column + 1
        ),
        None => format!("{name}: cannot parse {}; {remedy}", masked(bad.trim())),
    }
}

/// The line in quotes, with the value hidden when the name looks like a secret's.
fn masked(line: &str) -> String {
    let key = line.split('=').next().unwrap_or_default().trim();
    let secret = SECRET_HINTS
        .iter()
        .any(|h| key.to_ascii_uppercase().contains(h));
    if secret && line.contains('=') {
        format!("\"{key}=***\"")
    } else {
        format!("\"{line}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::collections::HashMap;

    fn example_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".env.example")
    }

    fn as_env(pairs: Vec<(String, String)>) -> HashMap<String, String> {
        pairs.into_iter().collect()
    }

    #[test]
    fn the_example_file_loads_as_it_is_and_only_the_key_is_missing() {
        let pairs = read_dotenv(&example_path()).unwrap().unwrap();
        let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["FRESHDESK_URL", "FRESHDESK_API_KEY"]);
        let mut env = as_env(pairs);
        let e = Config::from_env(&env, None).unwrap_err();
        assert_eq!(e.var, "FRESHDESK_API_KEY");
        env.insert("FRESHDESK_API_KEY".into(), "abcd1234".into());
        Config::from_env(&env, None).unwrap();
    }

    fn is_assignment(line: &str) -> bool {
        line.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        })
    }

    #[test]
    fn every_commented_out_example_value_is_accepted_when_uncommented() {
        let text = std::fs::read_to_string(example_path()).unwrap();
        let uncommented: String = text
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if is_assignment(rest) => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, uncommented).unwrap();
        let mut env = as_env(read_dotenv(&path).unwrap().unwrap());
        assert!(env.len() > 10, "{env:?}");
        assert_eq!(env["TICKETSIM_CREATE_CRON"], "0 0 * * * *");
        env.insert("FRESHDESK_API_KEY".into(), "abcd1234".into());
        env.remove("FRESHDESK_API_KEY_FILE");
        Config::from_env(&env, None).unwrap();
    }

    #[test]
    fn a_parse_error_names_the_line_number_and_masks_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(
            &path,
            "# c\nFRESHDESK_URL=https://a.freshdesk.com\n\nTICKETSIM_CREATE_CRON=0 0 * * * *\n",
        )
        .unwrap();
        let e = read_dotenv(&path).unwrap_err();
        assert!(
            e.contains(".env:4: cannot parse \"TICKETSIM_CREATE_CRON=0 0 * * * *\""),
            "{e}"
        );
        assert!(e.contains("quote"), "{e}");
        std::fs::write(&path, "FRESHDESK_API_KEY=se cret\n").unwrap();
        let e = read_dotenv(&path).unwrap_err();
        assert!(e.contains(":1:") && !e.contains("cret"), "{e}");
    }
}
