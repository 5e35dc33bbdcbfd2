//! rampart-iam
