//! rampart-policy
