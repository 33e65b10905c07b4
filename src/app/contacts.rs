//! `ticketsim seed-contacts`: gives a sandbox enough customers to open tickets
//! for. The people are made up from the persona pools, with reserved-domain
//! emails, and tagged like ticketsim's tickets. The same seed makes the same
//! people, so running it again reuses them (Freshdesk's 409 names the existing
//! contact) instead of making duplicates.

use std::io::Write;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::AppError;
use crate::config::Config;
use crate::freshdesk::Client;
use crate::freshdesk::types::{CreatedContact, NewContact};

/// The seed when neither `--seed` nor `TICKETSIM_SEED` is given, so that running
/// the command twice reuses the same contacts.
pub const DEFAULT_CONTACT_SEED: u64 = 1;

/// What `seed-contacts` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedSummary {
    pub created: usize,
    pub existing: usize,
}

/// Creates `count` contacts through the client (and so its rate budget), one
/// line per contact on `out`.
pub async fn seed_contacts(
    cfg: &Config,
    count: usize,
    seed: u64,
    mut out: impl Write,
) -> Result<SeedSummary, AppError> {
    let client = Client::new(cfg.client_config())?;
    let mut rng = StdRng::seed_from_u64(crate::domain::lifecycle_seed(seed, -2));
    let people = cfg.library.made_up_people(&mut rng, count);
    let mut summary = SeedSummary::default();
    for person in people {
        let body = NewContact {
            name: person.name.clone(),
            email: Some(person.email.clone()),
            tags: vec![cfg.tag.clone()],
            ..Default::default()
        };
        let (what, id) = match client.create_contact(&body).await? {
            CreatedContact::Created(c) => {
                summary.created += 1;
                ("created", c.id)
            }
            CreatedContact::Existing { id } => {
                summary.existing += 1;
                ("exists ", id)
            }
        };
        writeln!(out, "{what} {id:>14}  {} <{}>", person.name, person.email)
            .map_err(|e| AppError::Io(format!("cannot write output: {e}")))?;
    }
    Ok(summary)
}
