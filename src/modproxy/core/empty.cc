// Placeholder translation unit: core is header-only so far.
