//! Descriptions and resolutions, with what goes with each: the subjects that
//! fit a description, the second fixes that follow on from a resolution.
//!
//! In the data either is a plain list of paragraphs, `["…", "…"]`, or an object
//! `{"text": ["…"], "subjects": ["…"]}` (a description) / `{"text": ["…"],
//! "followups": [["…"]]}` (a resolution); the plain form uses the scenario's
//! own lists.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::library::Body;

/// A description, with the subjects that fit it (the scenario's when empty).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Description {
    pub text: Body,
    /// Subjects that state nothing this description contradicts.
    #[serde(default)]
    pub subjects: Vec<String>,
}

/// A resolution, with the second fixes that may follow it after a reopen (the
/// scenario's or the generic ones when empty).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Resolution {
    pub text: Body,
    /// Second fixes that build on this resolution's own account of the problem.
    #[serde(default)]
    pub followups: Vec<Body>,
}

impl From<Body> for Description {
    fn from(text: Body) -> Self {
        Description {
            text,
            subjects: vec![],
        }
    }
}

impl From<Body> for Resolution {
    fn from(text: Body) -> Self {
        Resolution {
            text,
            followups: vec![],
        }
    }
}

/// A list of paragraphs or the object form, with serde's own error positions.
struct ListOrObject<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + From<Body>> Visitor<'de> for ListOrObject<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of paragraphs, or an object with \"text\"")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        Body::deserialize(SeqAccessDeserializer::new(seq)).map(T::from)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

fn list_or_object<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + From<Body>,
{
    struct Each<T>(T);
    impl<'de, T: Deserialize<'de> + From<Body>> Deserialize<'de> for Each<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(ListOrObject(PhantomData)).map(Each)
        }
    }
    let all = Vec::<Each<T>>::deserialize(d)?;
    Ok(all.into_iter().map(|e| e.0).collect())
}

/// `#[serde(deserialize_with)]` for a list of descriptions.
pub(super) fn descriptions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Description>, D::Error> {
    list_or_object(d)
}

/// `#[serde(deserialize_with)]` for a list of resolutions.
pub(super) fn resolutions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Resolution>, D::Error> {
    list_or_object(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Both {
        #[serde(deserialize_with = "descriptions")]
        d: Vec<Description>,
        #[serde(deserialize_with = "resolutions")]
        r: Vec<Resolution>,
    }

    #[test]
    fn plain_lists_and_objects_both_load() {
        let json = r#"{"d": [["Plain."], {"text": ["Own."], "subjects": ["S"]}],
                       "r": [["Fixed."], {"text": ["Fixed."], "followups": [["Again."]]}]}"#;
        let both: Both = serde_json::from_str(json).unwrap();
        assert_eq!(both.d[0].text, ["Plain."]);
        assert!(both.d[0].subjects.is_empty());
        assert_eq!(both.d[1].subjects, ["S"]);
        assert_eq!(both.r[1].followups, [vec!["Again.".to_string()]]);
    }

    #[test]
    fn an_unknown_field_is_refused_with_its_position() {
        let json = r#"{"d": [{"text": ["x"], "subject": ["S"]}], "r": []}"#;
        let e = serde_json::from_str::<Both>(json)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("unknown field `subject`") && e.contains("line 1"),
            "{e}"
        );
    }
}
