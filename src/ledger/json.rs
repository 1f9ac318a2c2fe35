//! The audit's JSON written as the ledger is made (`audit_into`), one image at a time: the
//! same text as the whole ledger's pretty JSON (docs/audit.schema.json), without keeping it.

use serde::Serialize;

use crate::ledger::audit::{Ledger, LedgerImage, LedgerSink};
/// The audit's JSON written as the ledger is made (`audit_into`): the same text as
/// `text::json_shown` of the whole ledger as pretty JSON, one image at a time, so no image
/// is kept once written.
pub struct LedgerJson<W: std::io::Write> {
    out: W,
    images: usize,
    failed: Option<std::io::Error>,
}

/// Where the images' array opens in the pretty JSON of a ledger: a line of its own, which no
/// string in it can hold (JSON escapes every newline in a string).
const IMAGES_OPEN: &str = "\n  \"images\": [";

impl<W: std::io::Write> LedgerJson<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> LedgerJson<W> {
        LedgerJson {
            out,
            images: 0,
            failed: None,
        }
    }

    fn write(&mut self, text: &str) {
        if self.failed.is_none() {
            if let Err(e) = self.out.write_all(crate::text::json_shown(text).as_bytes()) {
                self.failed = Some(e);
            }
        }
    }

    /// The ledger's fields before its images (`head` holds none).
    pub fn head(&mut self, head: &Ledger) {
        let text = pretty(head);
        let opened = text
            .find(IMAGES_OPEN)
            .map_or(text.len(), |at| at + IMAGES_OPEN.len());
        self.write(&text[..opened]);
    }

    /// One image, in the images' array.
    pub fn image(&mut self, image: &LedgerImage) {
        let text = pretty(image).replace('\n', "\n    ");
        let before = if self.images == 0 {
            "\n    "
        } else {
            ",\n    "
        };
        self.write(before);
        self.write(&text);
        self.images += 1;
    }

    /// The rest of the ledger after its images (`rest` holds none), and the last newline;
    /// the writer back, or the first error writing.
    pub fn finish(mut self, rest: &Ledger) -> std::io::Result<W> {
        let text = pretty(rest);
        let closed = text
            .find(IMAGES_OPEN)
            .map_or(0, |at| at + IMAGES_OPEN.len());
        if self.images > 0 {
            self.write("\n  ");
        }
        self.write(&text[closed..]);
        self.write("\n");
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A value as pretty JSON. Only strings, numbers and derived structures: it cannot fail.
fn pretty<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

impl<W: std::io::Write> LedgerSink for LedgerJson<W> {
    fn head(&mut self, head: &Ledger) {
        LedgerJson::head(self, head);
    }
    fn image(&mut self, image: LedgerImage) {
        LedgerJson::image(self, &image);
    }
}
