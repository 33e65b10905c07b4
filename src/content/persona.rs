//! Customers' personas: names, reserved-domain emails and tones. A tone shapes
//! everything the customer writes: how they open and sign off, how long they go
//! on, their phrasing, and how the agent acknowledges them.

use std::collections::HashSet;

use serde::Deserialize;

use super::dice::Dice;

/// `data/personas.json`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Personas {
    pub first_names: Vec<String>,
    pub last_names: Vec<String>,
    /// Reserved domains only (RFC 2606/6761): example.com, *.test and the like.
    pub email_domains: Vec<String>,
    /// Group names for made-up helpdesks (`preview`).
    pub group_names: Vec<String>,
    pub tones: Vec<Tone>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Tone {
    /// e.g. `polite`, `frustrated`, `terse`, `verbose`, `non-native`.
    pub name: String,
    /// How common the tone is among customers.
    pub weight: u32,
    pub length: Length,
    /// First line of the customer's first message.
    pub openers: Vec<String>,
    /// Sign-off of the customer's first message.
    pub closings: Vec<String>,
    /// First line of the customer's later messages (usually greets the agent).
    pub reply_openers: Vec<String>,
    /// First line when the customer comes back after the resolution.
    pub reopen_openers: Vec<String>,
    pub reply_closings: Vec<String>,
    /// The agent's first line after the greeting when answering this customer;
    /// may be empty (nothing is added).
    #[serde(default)]
    pub acknowledgements: Vec<String>,
    /// Paragraphs the customer adds, per message.
    #[serde(default)]
    pub extras: Extras,
    /// `[from, to]` replacements applied, in order, to the customer's scenario
    /// text: how this customer phrases things.
    #[serde(default)]
    pub rewrites: Vec<[String; 2]>,
    /// Ends a one-line answer with "!" instead of its full stop.
    #[serde(default)]
    pub exclaims: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Length {
    /// Only the first sentences (6 words or more) of the first paragraph.
    Short,
    /// The bodies as written.
    Normal,
    /// The bodies plus two of the tone's extra paragraphs, always.
    Long,
}

/// Paragraphs a tone adds to each kind of customer message. Tones of normal
/// length add one half of the time, long ones two every time, short ones never.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Extras {
    #[serde(default)]
    pub description: Vec<String>,
    #[serde(default)]
    pub answer: Vec<String>,
    #[serde(default)]
    pub reopen: Vec<String>,
}

/// A made-up person: a display name and a reserved-domain email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeUpPerson {
    pub name: String,
    pub email: String,
}

impl Personas {
    /// The tone of a customer, fixed by a key such as the contact's id, so one
    /// customer writes the same way on every ticket.
    pub fn tone_for(&self, key: u64) -> Option<&Tone> {
        let total: u64 = self.tones.iter().map(|t| u64::from(t.weight)).sum();
        if total == 0 {
            return self.tones.first();
        }
        let mut pick = mix(key) % total;
        for tone in &self.tones {
            let w = u64::from(tone.weight);
            if pick < w {
                return Some(tone);
            }
            pick -= w;
        }
        self.tones.last()
    }

    /// `n` people with distinct emails, and distinct names while the name pools
    /// last. First names in `avoid` are skipped while others remain, so made-up
    /// agents do not share a first name with the customers they write to.
    pub fn made_up(&self, rng: &mut Dice, n: usize, avoid: &[&str]) -> Vec<MadeUpPerson> {
        let free: Vec<String> = self
            .first_names
            .iter()
            .filter(|f| !avoid.contains(&f.as_str()))
            .cloned()
            .collect();
        let first_names = if free.is_empty() {
            &self.first_names
        } else {
            &free
        };
        let mut out = Vec::with_capacity(n);
        let mut names = HashSet::new();
        let mut emails = HashSet::new();
        let patience = 20 * n + 100;
        let mut attempts = 0;
        while out.len() < n {
            let (Some(first), Some(last)) = (rng.pick(first_names), rng.pick(&self.last_names))
            else {
                break;
            };
            attempts += 1;
            let name = format!("{first} {last}");
            if !names.insert(name.clone()) && attempts < patience {
                continue;
            }
            let domain = rng.pick(&self.email_domains).map_or("example.com", |d| d);
            let base = format!("{}.{}", slug(first), slug(last));
            let mut email = format!("{base}@{domain}");
            let mut k = 2;
            while !emails.insert(email.clone()) {
                email = format!("{base}{k}@{domain}");
                k += 1;
            }
            out.push(MadeUpPerson { name, email });
        }
        out
    }
}

impl Tone {
    /// The customer's version of a scenario body: cut to length, rephrased.
    pub fn shape(&self, body: &[String]) -> Vec<String> {
        if self.length == Length::Short {
            let first = body.first().map(|p| shortest(p)).unwrap_or_default();
            return vec![self.rewrite(first)];
        }
        body.iter().map(|p| self.rewrite(p)).collect()
    }

    /// The first sentences (6 words or more) of the body, as one paragraph.
    pub fn one_line(&self, body: &[String]) -> Vec<String> {
        let line = body.first().map(|p| self.rewrite(shortest(p)));
        let line = line.map(|l| match (self.exclaims, l.strip_suffix('.')) {
            (true, Some(stem)) => format!("{stem}!"),
            _ => l,
        });
        line.into_iter().collect()
    }

    fn rewrite(&self, text: &str) -> String {
        self.rewrites
            .iter()
            .fold(text.to_string(), |t, [from, to]| t.replace(from, to))
    }

    /// Extra paragraphs from `pool`, by the tone's length: none for short
    /// tones, one half of the time for normal ones, two for long ones.
    pub fn extras<'a>(&self, rng: &mut Dice, pool: &'a [String]) -> Vec<&'a str> {
        let wanted = match self.length {
            Length::Short => 0,
            Length::Normal => usize::from(rng.chance(50)),
            Length::Long => 2,
        };
        let mut out: Vec<&str> = Vec::new();
        for _ in 0..wanted.min(pool.len()) {
            let free: Vec<&String> = pool.iter().filter(|p| !out.contains(&p.as_str())).collect();
            if let Some(p) = rng.pick(&free) {
                out.push(p);
            }
        }
        out
    }
}

/// The first sentences of a paragraph, up to 6 words or more: what a terse
/// customer bothers to write. A sentence never ends inside a `[…|…]` choice.
pub(super) fn shortest(paragraph: &str) -> &str {
    let mut words = 0;
    let mut in_choice = false;
    for (i, c) in paragraph.char_indices() {
        match c {
            ' ' => words += 1,
            '[' => in_choice = true,
            ']' => in_choice = false,
            _ => {}
        }
        let end = !in_choice && matches!(c, '.' | '!' | '?') && paragraph[i + 1..].starts_with(' ');
        if end && words >= 5 {
            return &paragraph[..=i];
        }
    }
    paragraph
}

/// Lowercase ASCII letters and digits for an email's local part ("Zoë" → "zoe").
fn slug(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            'à' | 'á' | 'â' | 'ä' | 'å' | 'ã' => Some('a'),
            'è' | 'é' | 'ê' | 'ë' => Some('e'),
            'ì' | 'í' | 'î' | 'ï' => Some('i'),
            'ò' | 'ó' | 'ô' | 'ö' | 'ø' | 'õ' => Some('o'),
            'ù' | 'ú' | 'û' | 'ü' => Some('u'),
            'ñ' => Some('n'),
            'ç' => Some('c'),
            _ => None,
        })
        .collect()
}

/// SplitMix64's finalizer: a stable spread of a key (std's hashers may change).
fn mix(key: u64) -> u64 {
    let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// True for domains reserved for documentation and testing, where no mail is
/// ever delivered to a real person.
pub fn is_reserved_domain(domain: &str) -> bool {
    let d = domain.to_ascii_lowercase();
    ["example.com", "example.net", "example.org"]
        .iter()
        .any(|r| d == *r || d.ends_with(&format!(".{r}")))
        || [".test", ".example", ".invalid"]
            .iter()
            .any(|tld| d.ends_with(tld) && d.len() > tld.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_local_parts_are_plain_ascii() {
        assert_eq!(slug("Zoë"), "zoe");
        assert_eq!(slug("O'Brien-Núñez"), "obriennunez");
    }

    #[test]
    fn only_reserved_domains_are_accepted() {
        for ok in ["example.com", "mail.example.org", "acme.test", "x.example"] {
            assert!(is_reserved_domain(ok), "{ok}");
        }
        for bad in ["gmail.com", "example.co", "test", "notexample.com"] {
            assert!(!is_reserved_domain(bad), "{bad}");
        }
    }

    #[test]
    fn a_terse_customer_keeps_the_first_sentences_up_to_six_words() {
        assert_eq!(
            shortest("Sure. It is the card ending in 1234. Both went through."),
            "Sure. It is the card ending in 1234."
        );
        assert_eq!(shortest("No dot here"), "No dot here");
        assert_eq!(
            shortest("[Hi. I am|I am] writing about it. Then more."),
            "[Hi. I am|I am] writing about it."
        );
    }

    #[test]
    fn the_mix_is_stable_across_builds() {
        assert_eq!(mix(0), 0xE220_A839_7B1D_CDAF);
    }
}
