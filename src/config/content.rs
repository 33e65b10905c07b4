//! The variables that shape the generated lifecycles: the scenario library
//! (`TICKETSIM_SCENARIOS_DIR`) and the playbooks in use (`TICKETSIM_PLAYBOOKS`).

use std::path::Path;
use std::sync::Arc;

use super::{ConfigError, Env, err, parse_offsets, parse_seed, parse_tag};
use crate::content::{Library, Selection};
use crate::domain::StageOffsets;

/// What shapes the generated lifecycles, and nothing about Freshdesk: what
/// `ticketsim preview` needs.
#[derive(Debug, Clone)]
pub struct ContentConfig {
    pub library: Arc<Library>,
    pub playbooks: Selection,
    pub stage_offsets: StageOffsets,
    pub tag: String,
    /// `TICKETSIM_SEED`, if set.
    pub seed: Option<u64>,
}

impl ContentConfig {
    pub fn from_env(env: &impl Env) -> Result<ContentConfig, ConfigError> {
        let (library, playbooks) = parse_content(env)?;
        Ok(ContentConfig {
            library,
            playbooks,
            stage_offsets: parse_offsets(env.get("TICKETSIM_STAGE_OFFSETS"))?,
            tag: parse_tag(env.get("TICKETSIM_TAG"))?,
            seed: env
                .get("TICKETSIM_SEED")
                .map(|s| parse_seed(&s))
                .transpose()?,
        })
    }
}

/// The library (built in, plus `TICKETSIM_SCENARIOS_DIR`) and the playbooks in use.
/// A malformed scenario file is reported as `file:line:column: problem`.
pub(super) fn parse_content(env: &impl Env) -> Result<(Arc<Library>, Selection), ConfigError> {
    const DIR: &str = "TICKETSIM_SCENARIOS_DIR";
    let library = match env.get(DIR) {
        None => Library::embedded(),
        Some(dir) => Library::load(Some(Path::new(dir.trim()))).map_err(|e| {
            err(
                DIR,
                format!("{e}; fix the file or remove it from the directory"),
            )
        })?,
    };
    let playbooks = match env.get("TICKETSIM_PLAYBOOKS") {
        None => Selection::default(),
        Some(spec) => library
            .select_playbooks(&spec)
            .map_err(|e| err("TICKETSIM_PLAYBOOKS", e))?,
    };
    Ok((library, playbooks))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::env_of as env;

    #[test]
    fn content_needs_no_freshdesk_settings_and_defaults_to_classic() {
        let c = ContentConfig::from_env(&env(&[])).unwrap();
        assert_eq!(c.playbooks, Selection::default());
        assert_eq!(c.stage_offsets, StageOffsets::DEFAULT);
        assert_eq!(c.seed, None);
        let c = ContentConfig::from_env(&env(&[("TICKETSIM_PLAYBOOKS", "all")])).unwrap();
        let scripted: Vec<String> = (c.library.playbook_names().into_iter())
            .filter(|p| p != "trainee")
            .collect();
        assert_eq!(c.playbooks.names(), scripted);
    }

    #[test]
    fn an_unknown_playbook_names_its_variable_and_the_known_ones() {
        let e =
            ContentConfig::from_env(&env(&[("TICKETSIM_PLAYBOOKS", "classic,nope")])).unwrap_err();
        assert_eq!(e.var, "TICKETSIM_PLAYBOOKS");
        assert!(
            e.problem.contains("\"nope\"") && e.problem.contains("escalation"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_scenario_directory_names_its_variable_and_the_path() {
        let e = ContentConfig::from_env(&env(&[("TICKETSIM_SCENARIOS_DIR", "/no/such/dir")]))
            .unwrap_err();
        assert_eq!(e.var, "TICKETSIM_SCENARIOS_DIR");
        assert!(e.to_string().contains("/no/such/dir"), "{e}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn a_scenario_directory_adds_its_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("none.json"), r#"{"categories": []}"#).unwrap();
        let path = dir.path().display().to_string();
        let c = ContentConfig::from_env(&env(&[("TICKETSIM_SCENARIOS_DIR", &path)])).unwrap();
        assert_eq!(
            c.library.scenario_names(),
            Library::embedded().scenario_names()
        );
    }
}
