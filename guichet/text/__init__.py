"""Pure text helpers (no Django): normalisation and similarity for duplicate detection."""
