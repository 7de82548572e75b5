//! Lint rules over the keyword tree and the typed model; one function per rule, each with a
//! stable kebab-case id. Multi-file rules compare the nodes of one cluster.
