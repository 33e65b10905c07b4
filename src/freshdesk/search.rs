//! `GET /search/tickets` and `GET /search/contacts` with a small typed query
//! builder, so that a query is valid Freshdesk syntax before it is sent (api §2.5,
//! gotcha 13): the expression is wrapped in double quotes, strings and dates are in
//! single quotes, `AND`/`OR` have spaces around them, groups are parenthesized,
//! `:>`/`:<` are inclusive bounds, and at most 512 characters are allowed.
//!
//! ```
//! use ticketsim::freshdesk::SearchQuery as Q;
//! let q = Q::is("status", 2).or(Q::is("status", 3))
//!     .and(Q::at_least("priority", 3))
//!     .and(Q::is("tag", "vip"));
//! assert_eq!(q.render().unwrap(), "(status:2 OR status:3) AND priority:>3 AND tag:'vip'");
//! ```

use std::fmt::Write as _;

use serde::de::DeserializeOwned;

use super::budget::Lane;
use super::client::{Call, Client};
use super::error::Error;
use super::types::{Contact, SearchResults, Ticket};

/// Freshdesk's limit on the expression, quotes excluded.
pub const MAX_QUERY_CHARS: usize = 512;
/// Search pages hold 30 results; only pages 1 to 10 can be read.
const SEARCH_PAGE_SIZE: usize = 30;
const MAX_SEARCH_PAGES: u32 = 10;

/// A value in a search term.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchValue {
    Int(i64),
    /// Single-quoted: `tag:'vip'`. Freshdesk has no escape, so quotes are refused.
    Text(String),
    /// `yyyy-mm-dd`, single-quoted.
    Date(String),
    Bool(bool),
    Null,
}

impl From<i64> for SearchValue {
    fn from(v: i64) -> Self {
        SearchValue::Int(v)
    }
}

impl From<i32> for SearchValue {
    fn from(v: i32) -> Self {
        SearchValue::Int(v.into())
    }
}

impl From<&str> for SearchValue {
    fn from(v: &str) -> Self {
        SearchValue::Text(v.to_string())
    }
}

impl From<String> for SearchValue {
    fn from(v: String) -> Self {
        SearchValue::Text(v)
    }
}

impl From<bool> for SearchValue {
    fn from(v: bool) -> Self {
        SearchValue::Bool(v)
    }
}

/// How a term compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchOp {
    /// `field:value`
    Is,
    /// `field:>value`, inclusive (numbers and dates).
    AtLeast,
    /// `field:<value`, inclusive (numbers and dates).
    AtMost,
}

/// A search expression: terms combined with `AND` and `OR`.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchQuery {
    Term {
        field: String,
        op: SearchOp,
        value: SearchValue,
    },
    And(Vec<SearchQuery>),
    Or(Vec<SearchQuery>),
}

impl SearchQuery {
    pub fn is(field: &str, value: impl Into<SearchValue>) -> SearchQuery {
        SearchQuery::term(field, SearchOp::Is, value.into())
    }

    pub fn at_least(field: &str, value: impl Into<SearchValue>) -> SearchQuery {
        SearchQuery::term(field, SearchOp::AtLeast, value.into())
    }

    pub fn at_most(field: &str, value: impl Into<SearchValue>) -> SearchQuery {
        SearchQuery::term(field, SearchOp::AtMost, value.into())
    }

    /// `field` on or after the day `yyyy-mm-dd` (e.g. `created_at`).
    pub fn since_date(field: &str, day: &str) -> SearchQuery {
        SearchQuery::term(field, SearchOp::AtLeast, SearchValue::Date(day.into()))
    }

    /// `(field:a OR field:b ...)`.
    pub fn any_of<V: Into<SearchValue>>(
        field: &str,
        values: impl IntoIterator<Item = V>,
    ) -> SearchQuery {
        SearchQuery::Or(
            values
                .into_iter()
                .map(|v| SearchQuery::is(field, v))
                .collect(),
        )
    }

    fn term(field: &str, op: SearchOp, value: SearchValue) -> SearchQuery {
        SearchQuery::Term {
            field: field.to_string(),
            op,
            value,
        }
    }

    pub fn and(self, other: SearchQuery) -> SearchQuery {
        match self {
            SearchQuery::And(mut parts) => {
                parts.push(other);
                SearchQuery::And(parts)
            }
            first => SearchQuery::And(vec![first, other]),
        }
    }

    pub fn or(self, other: SearchQuery) -> SearchQuery {
        match self {
            SearchQuery::Or(mut parts) => {
                parts.push(other);
                SearchQuery::Or(parts)
            }
            first => SearchQuery::Or(vec![first, other]),
        }
    }

    /// The expression as Freshdesk reads it (without the surrounding double
    /// quotes), or [`Error::Invalid`] naming what cannot be expressed.
    pub fn render(&self) -> Result<String, Error> {
        let mut out = String::new();
        self.write(&mut out, false)?;
        let chars = out.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(Error::Invalid(format!(
                "the search query has {chars} characters; Freshdesk allows at most {MAX_QUERY_CHARS}"
            )));
        }
        Ok(out)
    }

    fn write(&self, out: &mut String, nested: bool) -> Result<(), Error> {
        let (parts, joiner) = match self {
            SearchQuery::Term { field, op, value } => return write_term(out, field, *op, value),
            SearchQuery::And(parts) => (parts, " AND "),
            SearchQuery::Or(parts) => (parts, " OR "),
        };
        match parts.len() {
            0 => Err(Error::Invalid("a search group has no terms".into())),
            1 => parts[0].write(out, nested),
            _ => {
                if nested {
                    out.push('(');
                }
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push_str(joiner);
                    }
                    part.write(out, true)?;
                }
                if nested {
                    out.push(')');
                }
                Ok(())
            }
        }
    }
}

fn write_term(
    out: &mut String,
    field: &str,
    op: SearchOp,
    value: &SearchValue,
) -> Result<(), Error> {
    let valid_name = field.starts_with(|c: char| c.is_ascii_lowercase())
        && field
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_name {
        return Err(Error::Invalid(format!(
            "\"{field}\" is not a search field name (lowercase letters, digits and _)"
        )));
    }
    let sign = match op {
        SearchOp::Is => "",
        SearchOp::AtLeast => ">",
        SearchOp::AtMost => "<",
    };
    let ordered = matches!(value, SearchValue::Int(_) | SearchValue::Date(_));
    if op != SearchOp::Is && !ordered {
        return Err(Error::Invalid(format!(
            "{field}: only numbers and dates can be compared with :> and :<"
        )));
    }
    let _ = write!(out, "{field}:{sign}");
    write_value(out, field, value)
}

fn write_value(out: &mut String, field: &str, value: &SearchValue) -> Result<(), Error> {
    match value {
        SearchValue::Int(n) => {
            let _ = write!(out, "{n}");
        }
        SearchValue::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        SearchValue::Null => out.push_str("null"),
        SearchValue::Text(s) => write_quoted(out, field, s)?,
        SearchValue::Date(d) if is_day(d) => {
            let _ = write!(out, "'{d}'");
        }
        SearchValue::Date(d) => {
            return Err(Error::Invalid(format!(
                "{field}: \"{d}\" is not a date in the yyyy-mm-dd format"
            )));
        }
    }
    Ok(())
}

fn write_quoted(out: &mut String, field: &str, s: &str) -> Result<(), Error> {
    if s.contains(['\'', '"', '\\']) || s.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "{field}: the value {s:?} holds a quote, backslash or control character, which \
             Freshdesk's search syntax cannot carry"
        )));
    }
    let _ = write!(out, "'{s}'");
    Ok(())
}

fn is_day(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&d[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&d[8..10].parse::<u32>().unwrap_or(0))
}

impl Client {
    /// `GET /search/tickets`: up to 10 pages of 30 (Freshdesk's limit); `total`
    /// says how many matched. Results include the description, not embeds. New
    /// tickets can take a moment to become searchable.
    #[tracing::instrument(skip(self))]
    pub async fn search_tickets(
        &self,
        query: &SearchQuery,
    ) -> Result<SearchResults<Ticket>, Error> {
        self.search("search/tickets", query).await
    }

    /// `GET /search/contacts`, with the same rules as [`Client::search_tickets`].
    #[tracing::instrument(skip(self))]
    pub async fn search_contacts(
        &self,
        query: &SearchQuery,
    ) -> Result<SearchResults<Contact>, Error> {
        self.search("search/contacts", query).await
    }

    async fn search<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &SearchQuery,
    ) -> Result<SearchResults<T>, Error> {
        let quoted = format!("\"{}\"", query.render()?);
        let mut found = SearchResults {
            total: 0,
            results: Vec::new(),
        };
        for page in 1..=MAX_SEARCH_PAGES {
            let call = Call::get(path, Lane::New)
                .query("query", &quoted)
                .query("page", page);
            let got: SearchResults<T> = self.fetch(call).await?;
            let count = got.results.len();
            found.total = got.total;
            found.results.extend(got.results);
            if count < SEARCH_PAGE_SIZE || found.results.len() as i64 >= found.total {
                break;
            }
        }
        Ok(found)
    }
}
