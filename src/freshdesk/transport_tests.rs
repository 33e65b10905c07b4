use super::*;

#[test]
fn the_next_link_is_found_among_others() {
    let v =
        r#"<https://a.freshdesk.com/api/v2/tickets?include=requester,stats&page=2>; rel="next""#;
    assert_eq!(
        next_link(v),
        Some("https://a.freshdesk.com/api/v2/tickets?include=requester,stats&page=2")
    );
    let v = r#"<https://x/p?page=1>; rel="prev", <https://x/p?page=3>; rel="next""#;
    assert_eq!(next_link(v), Some("https://x/p?page=3"));
    assert_eq!(next_link(r#"<https://x/p?page=1>; rel="prev""#), None);
    assert_eq!(next_link("garbage <unterminated"), None);
}

#[test]
fn the_auth_header_is_basic_with_x_and_hidden_from_debug() {
    let value = auth_header(&ApiKey::new("abc")).unwrap();
    assert_eq!(value.to_str().unwrap(), "Basic YWJjOlg=");
    assert!(!format!("{value:?}").contains("YWJj"));
}

#[test]
fn a_missing_or_odd_retry_after_means_one_window() {
    let mut headers = HeaderMap::new();
    assert_eq!(retry_after(&headers), Duration::from_secs(60));
    headers.insert("retry-after", HeaderValue::from_static("9"));
    assert_eq!(retry_after(&headers), Duration::from_secs(9));
    headers.insert("retry-after", HeaderValue::from_static("soon"));
    assert_eq!(retry_after(&headers), Duration::from_secs(60));
}
