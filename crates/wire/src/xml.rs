//! A small XML writer for AWS responses: escaping done once, correctly, everywhere.

/// Appends `text` to `out` with XML special characters escaped.
pub fn escape_into(out: &mut String, text: &str) {
    // Runs of characters that need no escaping are copied whole; every special character is ASCII,
    // so a byte scan never splits a UTF-8 sequence.
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&apos;",
            b'\r' => "&#xD;",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

/// Builds an XML fragment element by element.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self { out: String::with_capacity(256) }
    }

    /// `<name>text</name>` with `text` escaped.
    pub fn element(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        escape_into(&mut self.out, text);
        self.close(name)
    }

    /// `<name>text</name>` when `text` is present; nothing otherwise.
    pub fn optional(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.element(name, t);
        }
        self
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// The fragment written so far.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let mut w = XmlWriter::new();
        w.element("A", "<x & 'y'>");
        assert_eq!(w.finish(), "<A>&lt;x &amp; &apos;y&apos;&gt;</A>");
        let mut out = String::new();
        escape_into(&mut out, "é\"\rü<");
        assert_eq!(out, "é&quot;&#xD;ü&lt;");
    }
}
