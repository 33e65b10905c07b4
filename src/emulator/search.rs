//! The search query language of `GET /search/tickets` and `/search/contacts`
//! (freshdesk-api.md §2.5): `field:value`, `field:>value`, `field:<value`
//! (both inclusive), values as integers, `'strings'`, `null`, `true`/`false`,
//! joined by `AND`/`OR` with mandatory spaces, grouped with parentheses.
//! `AND` binds tighter than `OR`.

use crate::clock::UnixMs;

const DAY_MS: i64 = 86_400_000;
/// Deeper nesting than this is refused rather than recursed into.
const MAX_DEPTH: usize = 64;

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp { field: String, op: Op, value: Lit },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    /// `:>`, inclusive.
    AtLeast,
    /// `:<`, inclusive.
    AtMost,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Int(i64),
    Str(String),
    Bool(bool),
    Null,
}

/// What a searchable field holds in one record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Int(Option<i64>),
    /// Compared case-insensitively.
    Str(Option<String>),
    /// Compared by UTC day.
    Date(Option<UnixMs>),
    Bool(Option<bool>),
    /// Matches when any element equals the value (case-insensitively).
    Tags(Vec<String>),
}

/// The type of a searchable field, to check a query before running it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Str,
    Date,
    Bool,
    Tags,
}

/// The query is not valid (syntax, unknown field or a value of the wrong type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

/// Parses and type-checks `src` (the text inside the double quotes).
pub(crate) fn parse(src: &str, kind_of: impl Fn(&str) -> Option<Kind>) -> Result<Expr, Invalid> {
    let mut p = Parser {
        src,
        pos: 0,
        depth: 0,
    };
    let expr = p.or()?;
    p.spaces();
    if p.pos != src.len() {
        return Err(Invalid);
    }
    check(&expr, &kind_of)?;
    Ok(expr)
}

/// Whether a record matches; `lookup` gives a field's value in the record.
pub(crate) fn matches(expr: &Expr, lookup: &impl Fn(&str) -> Option<Val>) -> bool {
    match expr {
        Expr::And(a, b) => matches(a, lookup) && matches(b, lookup),
        Expr::Or(a, b) => matches(a, lookup) || matches(b, lookup),
        Expr::Cmp { field, op, value } => lookup(field).is_some_and(|v| compare(&v, *op, value)),
    }
}

fn check(expr: &Expr, kind_of: &impl Fn(&str) -> Option<Kind>) -> Result<(), Invalid> {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => check(a, kind_of).and(check(b, kind_of)),
        Expr::Cmp { field, op, value } => {
            let kind = kind_of(field).ok_or(Invalid)?;
            let ordered = matches!(kind, Kind::Int | Kind::Date);
            let fits = match value {
                Lit::Null => *op == Op::Eq,
                Lit::Int(_) => kind == Kind::Int,
                Lit::Bool(_) => kind == Kind::Bool && *op == Op::Eq,
                Lit::Str(s) if kind == Kind::Date => day_start(s).is_some(),
                Lit::Str(_) => matches!(kind, Kind::Str | Kind::Tags) && *op == Op::Eq,
            };
            if fits && (*op == Op::Eq || ordered) {
                Ok(())
            } else {
                Err(Invalid)
            }
        }
    }
}

fn compare(v: &Val, op: Op, lit: &Lit) -> bool {
    let ord = |have: i64, want: i64| match op {
        Op::Eq => have == want,
        Op::AtLeast => have >= want,
        Op::AtMost => have <= want,
    };
    match (v, lit) {
        (Val::Int(x), Lit::Null) | (Val::Date(x), Lit::Null) => x.is_none(),
        (Val::Str(x), Lit::Null) => x.is_none(),
        (Val::Bool(x), Lit::Null) => x.is_none(),
        (Val::Tags(t), Lit::Null) => t.is_empty(),
        (Val::Int(Some(x)), Lit::Int(want)) => ord(*x, *want),
        (Val::Bool(Some(x)), Lit::Bool(want)) => x == want,
        (Val::Str(Some(x)), Lit::Str(want)) => x.eq_ignore_ascii_case(want),
        (Val::Tags(tags), Lit::Str(want)) => tags.iter().any(|t| t.eq_ignore_ascii_case(want)),
        (Val::Date(Some(at)), Lit::Str(day)) => {
            let Some(start) = day_start(day) else {
                return false;
            };
            let day_of = at.div_euclid(DAY_MS) * DAY_MS;
            ord(day_of, start)
        }
        _ => false,
    }
}

/// `yyyy-mm-dd` → its 00:00 UTC.
fn day_start(s: &str) -> Option<UnixMs> {
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    /// Skips spaces; how many there were.
    fn spaces(&mut self) -> usize {
        let n = self.rest().len() - self.rest().trim_start_matches(' ').len();
        self.pos += n;
        n
    }

    fn or(&mut self) -> Result<Expr, Invalid> {
        let mut left = self.and()?;
        while self.connective("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, Invalid> {
        let mut left = self.atom()?;
        while self.connective("AND") {
            left = Expr::And(Box::new(left), Box::new(self.atom()?));
        }
        Ok(left)
    }

    /// ` AND ` (spaces required on both sides); puts the cursor back if absent.
    fn connective(&mut self, word: &str) -> bool {
        let save = self.pos;
        if self.spaces() > 0 && self.rest().starts_with(word) {
            self.pos += word.len();
            if self.spaces() > 0 {
                return true;
            }
        }
        self.pos = save;
        false
    }

    fn atom(&mut self) -> Result<Expr, Invalid> {
        self.spaces();
        if self.rest().starts_with('(') {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(Invalid);
            }
            self.pos += 1;
            let inner = self.or()?;
            self.spaces();
            if !self.rest().starts_with(')') {
                return Err(Invalid);
            }
            self.pos += 1;
            self.depth -= 1;
            return Ok(inner);
        }
        let field = self.ident().ok_or(Invalid)?;
        let op = self.operator()?;
        let value = self.literal()?;
        match self.rest().chars().next() {
            None | Some(' ') | Some(')') => Ok(Expr::Cmp { field, op, value }),
            Some(_) => Err(Invalid),
        }
    }

    fn ident(&mut self) -> Option<String> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        let name = rest[..len].to_owned();
        self.pos += len;
        Some(name)
    }

    fn operator(&mut self) -> Result<Op, Invalid> {
        let rest = self.rest();
        let (op, len) = if rest.starts_with(":>") {
            (Op::AtLeast, 2)
        } else if rest.starts_with(":<") {
            (Op::AtMost, 2)
        } else if rest.starts_with(':') {
            (Op::Eq, 1)
        } else {
            return Err(Invalid);
        };
        self.pos += len;
        Ok(op)
    }

    fn literal(&mut self) -> Result<Lit, Invalid> {
        let rest = self.rest();
        if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'').ok_or(Invalid)?;
            let s = quoted[..end].to_owned();
            self.pos += end + 2;
            return Ok(Lit::Str(s));
        }
        let len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let word = &rest[..len];
        let lit = match word {
            "null" => Lit::Null,
            "true" => Lit::Bool(true),
            "false" => Lit::Bool(false),
            _ if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) => {
                Lit::Int(word.parse().map_err(|_| Invalid)?)
            }
            _ => return Err(Invalid),
        };
        self.pos += len;
        Ok(lit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(name: &str) -> Option<Kind> {
        match name {
            "status" | "priority" | "agent_id" => Some(Kind::Int),
            "type" => Some(Kind::Str),
            "tag" => Some(Kind::Tags),
            "created_at" => Some(Kind::Date),
            "cf_vip" => Some(Kind::Bool),
            _ => None,
        }
    }

    fn cmp(field: &str, op: Op, value: Lit) -> Expr {
        Expr::Cmp {
            field: field.into(),
            op,
            value,
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_group() {
        let e = parse("status:2 OR status:3 AND priority:>3", kinds).unwrap();
        let and = Expr::And(
            Box::new(cmp("status", Op::Eq, Lit::Int(3))),
            Box::new(cmp("priority", Op::AtLeast, Lit::Int(3))),
        );
        assert_eq!(
            e,
            Expr::Or(Box::new(cmp("status", Op::Eq, Lit::Int(2))), Box::new(and))
        );
        let e = parse("( status:2 OR status:3 ) AND tag:'vip'", kinds).unwrap();
        assert!(matches!(e, Expr::And(..)));
    }

    #[test]
    fn malformed_queries_are_invalid() {
        for bad in [
            "",
            "status:2AND priority:1",
            "status:2 AND",
            "status:2  priority:1",
            "status:2 and priority:1",
            "(status:2",
            "status:2)",
            "status:'2'",
            "tag:vip",
            "type:'a",
            "nope:1",
            "priority:>'x'",
            "tag:>'a'",
            "cf_vip:1",
            "status:-1",
            "status:2 ORpriority:1",
            "created_at:'2024-13-01'",
        ] {
            assert_eq!(parse(bad, kinds), Err(Invalid), "{bad:?}");
        }
        let deep = format!("{}status:2{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(parse(&deep, kinds), Err(Invalid));
    }

    #[test]
    fn bounds_are_inclusive_and_dates_compare_by_day() {
        let rec = |name: &str| match name {
            "priority" => Some(Val::Int(Some(3))),
            "agent_id" => Some(Val::Int(None)),
            "created_at" => Some(Val::Date(day_start("2024-01-01").map(|d| d + 3_600_000))),
            "tag" => Some(Val::Tags(vec!["VIP".into()])),
            "cf_vip" => Some(Val::Bool(Some(true))),
            _ => None,
        };
        for (q, want) in [
            ("priority:>3", true),
            ("priority:<3", true),
            ("priority:>4", false),
            ("agent_id:null", true),
            ("tag:'vip'", true),
            ("tag:null", false),
            ("created_at:>'2024-01-01'", true),
            ("created_at:<'2024-01-01'", true),
            ("created_at:'2024-01-01'", true),
            ("created_at:>'2024-01-02'", false),
            ("cf_vip:true AND (priority:1 OR priority:3)", true),
        ] {
            let e = parse(q, kinds).unwrap();
            assert_eq!(matches(&e, &rec), want, "{q}");
        }
    }
}
