//! What people see: the printer and its one filter, text layout, the language, the secret mask, the errors and
//! their hints. The bottom layer: it imports nothing else of ours.

pub mod errors;
pub mod i18n;
pub mod output;
pub mod redact;
pub mod style;
pub mod table;
pub mod text;
