//! keepalived.conf: lexer with spans -> preprocessor (include globs, @conditionals, $MACROS,
//! ~SEQ) keeping a source map -> keyword tree -> typed model of the VRRP side.

pub mod model;
