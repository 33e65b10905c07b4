//! Pure parts: the search query builder and the custom-field mapping.

use serde_json::json;

use super::types::TicketField;
use super::{CustomFieldMap, Error, SearchQuery as Q, SearchValue, TicketFields};

#[test]
fn terms_render_with_freshdesks_quoting_and_operators() {
    assert_eq!(Q::is("status", 2).render().unwrap(), "status:2");
    assert_eq!(Q::is("tag", "vip").render().unwrap(), "tag:'vip'");
    assert_eq!(Q::at_least("priority", 3).render().unwrap(), "priority:>3");
    assert_eq!(Q::at_most("priority", 2).render().unwrap(), "priority:<2");
    assert_eq!(
        Q::since_date("created_at", "2024-01-31").render().unwrap(),
        "created_at:>'2024-01-31'"
    );
    assert_eq!(Q::is("cf_vip", true).render().unwrap(), "cf_vip:true");
    assert_eq!(
        Q::is("agent_id", SearchValue::Null).render().unwrap(),
        "agent_id:null"
    );
}

#[test]
fn groups_are_parenthesized_with_spaces_around_and_and_or() {
    let q = Q::is("status", 2)
        .or(Q::is("status", 3))
        .and(Q::at_least("priority", 3))
        .and(Q::is("tag", "vip"))
        .and(Q::since_date("created_at", "2024-01-01"));
    assert_eq!(
        q.render().unwrap(),
        "(status:2 OR status:3) AND priority:>3 AND tag:'vip' AND created_at:>'2024-01-01'"
    );
    let nested =
        Q::any_of("type", ["Question", "Problem"]).or(Q::is("tag", "a").and(Q::is("tag", "b")));
    assert_eq!(
        nested.render().unwrap(),
        "type:'Question' OR type:'Problem' OR (tag:'a' AND tag:'b')"
    );
    let grouped = Q::is("tag", "a").and(Q::any_of("status", [2, 3]).or(Q::is("priority", 4)));
    assert_eq!(
        grouped.render().unwrap(),
        "tag:'a' AND (status:2 OR status:3 OR priority:4)"
    );
    assert_eq!(Q::any_of("status", [4]).render().unwrap(), "status:4");
}

#[test]
fn what_freshdesk_cannot_read_is_refused_before_sending() {
    let invalid = |q: Q| match q.render() {
        Err(Error::Invalid(msg)) => msg,
        other => panic!("expected Invalid, got {other:?}"),
    };
    assert!(invalid(Q::is("tag", "it's")).contains("quote"));
    assert!(invalid(Q::is("Status", 2)).contains("not a search field name"));
    assert!(invalid(Q::is("status;drop", 2)).contains("not a search field name"));
    assert!(invalid(Q::at_least("tag", "vip")).contains("only numbers and dates"));
    assert!(invalid(Q::since_date("created_at", "2024-13-01")).contains("yyyy-mm-dd"));
    assert!(invalid(Q::Or(vec![])).contains("no terms"));
    let q = Q::any_of("tag", (0..60).map(|i| format!("tag{i}")));
    assert!(invalid(q).contains("Freshdesk allows at most 512"));
}

#[test]
fn a_query_of_exactly_512_characters_is_accepted() {
    let value = "x".repeat(512 - "tag:''".len());
    assert_eq!(
        Q::is("tag", value.as_str())
            .render()
            .unwrap()
            .chars()
            .count(),
        512
    );
}

fn fields() -> TicketFields {
    let field = |name: &str, kind: &str, choices: serde_json::Value| -> TicketField {
        serde_json::from_value(
            json!({"id": 1, "name": name, "type": kind, "default": false, "choices": choices}),
        )
        .unwrap()
    };
    TicketFields::new(vec![
        field("cf_plan", "custom_dropdown", json!(["Free", "Pro"])),
        field("cf_order_id", "custom_number", json!([])),
        field("cf_vip", "custom_checkbox", json!([])),
        field("cf_since", "custom_date", json!([])),
    ])
}

#[test]
fn the_custom_field_mapping_parses_friendly_names() {
    let map = CustomFieldMap::parse(" order_id=cf_order_id, plan = cf_plan ,").unwrap();
    assert_eq!(map.cf_name("plan"), Some("cf_plan"));
    assert_eq!(map.entries().len(), 2);
    assert!(CustomFieldMap::parse("").unwrap().is_empty());
    for (bad, says) in [
        ("plan", "is not name=cf_name"),
        ("plan=plan", "starts with cf_"),
        ("pl an=cf_plan", "is not a name"),
        ("plan=cf_plan,plan=cf_x", "mapped twice"),
    ] {
        let err = CustomFieldMap::parse(bad).unwrap_err();
        assert!(err.contains(says), "{bad}: {err}");
    }
}

#[test]
fn the_mapping_is_checked_against_the_accounts_fields() {
    let map = CustomFieldMap::parse("order_id=cf_order_id,plan=cf_plan").unwrap();
    map.validate(&fields()).unwrap();
    let wrong = CustomFieldMap::parse("tier=cf_tier").unwrap();
    let err = wrong.validate(&fields()).unwrap_err().to_string();
    assert!(
        err.contains("tier=cf_tier: cf_tier is not a custom ticket field"),
        "{err}"
    );
    assert!(
        err.contains("known: cf_plan, cf_order_id, cf_vip, cf_since"),
        "{err}"
    );
}

#[test]
fn values_are_checked_against_types_and_dropdown_choices() {
    let map = CustomFieldMap::parse("order_id=cf_order_id,plan=cf_plan,vip=cf_vip,since=cf_since")
        .unwrap();
    let ok = map
        .values(
            &fields(),
            &[
                ("plan", json!("Pro")),
                ("order_id", json!(42)),
                ("vip", json!(true)),
                ("since", json!("2024-02-01")),
            ],
        )
        .unwrap();
    assert_eq!(
        ok,
        json!({"cf_plan": "Pro", "cf_order_id": 42, "cf_vip": true, "cf_since": "2024-02-01"})
            .as_object()
            .unwrap()
            .clone()
    );
    let err = |name: &str, v: serde_json::Value| {
        map.values(&fields(), &[(name, v)]).unwrap_err().to_string()
    };
    assert_eq!(
        err("plan", json!("Gold")),
        "Invalid request: plan (cf_plan): \"Gold\" is not one of the choices: Free, Pro"
    );
    assert!(err("order_id", json!("42")).contains("is not a whole number"));
    assert!(err("vip", json!(1)).contains("true or false"));
    assert!(err("since", json!("01/02/2024")).contains("yyyy-mm-dd"));
    assert!(err("colour", json!("red")).contains("\"colour\" is not a mapped custom field"));
}
