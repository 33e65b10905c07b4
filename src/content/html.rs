//! HTML in and out: bodies are built from escaped plain text, and `html_to_text` gives the
//! plain-text copy Freshdesk shows as `body_text` / `description_text`.

/// Tags that start a new line when rendered; stripping them leaves a space so that
/// `<p>a</p><p>b</p>` reads "a b", not "ab". Inline tags (`<b>`, `<a>`) leave nothing.
const BLOCK_TAGS: [&str; 20] = [
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "hr",
    "section",
];

/// Longest entity we try to decode, `&#x10FFFF;` being the longest legitimate one.
const MAX_ENTITY_CHARS: usize = 10;

/// Escapes the five characters that are special in HTML text and attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One `<p>` per non-blank plain-text paragraph; a `\n` inside a paragraph (signatures)
/// becomes `<br>`. The text is escaped here, so callers pass plain text only.
pub(super) fn paragraphs<I, S>(texts: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for text in texts {
        let text = text.as_ref().trim();
        if text.is_empty() {
            continue;
        }
        let lines: Vec<String> = text.lines().map(|line| escape(line.trim())).collect();
        out.push_str("<p>");
        out.push_str(&lines.join("<br>"));
        out.push_str("</p>");
    }
    out
}

/// Plain text of an HTML body as Freshdesk's `body_text` would show it: tags stripped,
/// entities (`&amp; &lt; &gt; &quot; &#39;`, plus `&apos; &nbsp;` and numeric ones)
/// decoded, whitespace collapsed to single spaces, trimmed. A `<` or `&` that does not start
/// a tag or a known entity is kept as text, so this never fails on odd input.
pub fn html_to_text(html: &str) -> String {
    let mut raw = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let consumed = match c {
            '<' => skip_markup(rest, &mut raw),
            '&' => decode_entity(rest).map(|(decoded, len)| {
                raw.push(decoded);
                len
            }),
            _ => None,
        };
        let step = consumed.unwrap_or_else(|| {
            raw.push(c);
            c.len_utf8()
        });
        rest = &rest[step..];
    }
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// If `rest` starts with a tag or comment, returns its length and pushes a space for block
/// tags. Returns `None` for a `<` that is plain text ("a < b") or never closed.
fn skip_markup(rest: &str, raw: &mut String) -> Option<usize> {
    if let Some(comment) = rest.strip_prefix("<!--") {
        return comment.find("-->").map(|end| 4 + end + 3);
    }
    let next = rest[1..].chars().next()?;
    if !(next.is_ascii_alphabetic() || matches!(next, '/' | '!' | '?')) {
        return None;
    }
    let end = rest.find('>')?;
    if is_block_tag(&rest[1..end]) {
        raw.push(' ');
    }
    Some(end + 1)
}

fn is_block_tag(inner: &str) -> bool {
    let name: String = inner
        .trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    BLOCK_TAGS.contains(&name.as_str())
}

/// Decodes the entity at the start of `rest` (which starts with `&`), returning the
/// character and the entity's length in bytes.
fn decode_entity(rest: &str) -> Option<(char, usize)> {
    let (semi, _) = rest
        .char_indices()
        .take(MAX_ENTITY_CHARS + 1)
        .find(|&(_, c)| c == ';')?;
    let name = &rest[1..semi];
    let decoded = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => decode_numeric(name)?,
    };
    Some((decoded, semi + 1))
}

fn decode_numeric(name: &str) -> Option<char> {
    let digits = name.strip_prefix('#')?;
    let code = match digits.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<u32>().ok()?,
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_all_five_special_characters() {
        assert_eq!(
            escape(r#"Tom & "Jerry" <x> it's"#),
            "Tom &amp; &quot;Jerry&quot; &lt;x&gt; it&#39;s"
        );
    }

    #[test]
    fn paragraphs_are_escaped_wrapped_and_blank_ones_skipped() {
        let html = paragraphs(["Hi A&B,", "  ", "Thanks,\nNadia"]);
        assert_eq!(html, "<p>Hi A&amp;B,</p><p>Thanks,<br>Nadia</p>");
    }

    #[test]
    fn html_to_text_strips_tags_and_separates_blocks() {
        let html = "<div dir=\"ltr\">Hi Tessa Ruiz,<br><br>Test reply<br><br>\n</div>";
        assert_eq!(html_to_text(html), "Hi Tessa Ruiz, Test reply");
        assert_eq!(html_to_text("<p>one</p><p>two</p>"), "one two");
        assert_eq!(html_to_text("<p>a <b>bold</b>er</p>"), "a bolder");
    }

    #[test]
    fn html_to_text_decodes_entities_once() {
        let html = "<p>A &amp; B &lt;c&gt; &quot;q&quot; it&#39;s &#x41;&#66; &amp;lt;</p>";
        assert_eq!(html_to_text(html), "A & B <c> \"q\" it's AB &lt;");
    }

    #[test]
    fn html_to_text_keeps_stray_markup_characters_as_text() {
        assert_eq!(
            html_to_text("a < b & c &unknown; <p"),
            "a < b & c &unknown; <p"
        );
        assert_eq!(html_to_text("x<!-- hidden -->y &nbsp; z"), "xy z");
        assert_eq!(html_to_text("   "), "");
    }

    #[test]
    fn html_to_text_inverts_paragraphs_for_any_text() {
        let text = "Nadia O'Brien & <Co> \"quoted\"";
        assert_eq!(
            html_to_text(&paragraphs([text, "Thanks,\nNadia"])),
            format!("{text} Thanks, Nadia")
        );
    }
}
