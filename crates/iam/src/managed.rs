//! AWS-managed policies (`arn:aws:iam::aws:policy/...`) with their real documents, as AWS
//! publishes them in the AWS Managed Policy Reference. They are read-only and shared by every
//! account.

use serde::Deserialize;
use std::collections::HashMap;

/// The policy files compiled in, one per policy.
const FILES: &[&str] = &[
    include_str!("managed/AdministratorAccess.json"),
    include_str!("managed/IAMFullAccess.json"),
    include_str!("managed/PowerUserAccess.json"),
    include_str!("managed/IAMReadOnlyAccess.json"),
    include_str!("managed/ReadOnlyAccess.json"),
    include_str!("managed/AWSKeyManagementServicePowerUser.json"),
    include_str!("managed/AmazonS3FullAccess.json"),
    include_str!("managed/AmazonS3ReadOnlyAccess.json"),
    include_str!("managed/IAMUserChangePassword.json"),
];

#[derive(Deserialize)]
struct File {
    name: String,
    arn: String,
    path: String,
    description: String,
    version_id: String,
    create_date: String,
    update_date: String,
    document: serde_json::Value,
}

/// One AWS-managed policy.
#[derive(Debug, Clone)]
pub struct AwsManagedPolicy {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Path.
    pub path: String,
    /// Description.
    pub description: String,
    /// Default version id.
    pub version_id: String,
    /// Creation time.
    pub create_date: String,
    /// Last edit.
    pub update_date: String,
    /// The default version's document (compact JSON).
    pub document: String,
    /// The document, parsed once at start-up.
    pub parsed: std::sync::Arc<rampart_policy::Policy>,
}

/// The AWS-managed policies, by ARN.
pub struct ManagedPolicies {
    by_arn: HashMap<String, AwsManagedPolicy>,
}

impl ManagedPolicies {
    /// Loads the compiled-in policies.
    ///
    /// # Panics
    /// If a compiled-in file is malformed (caught by the unit test below).
    pub fn load() -> Self {
        let by_arn = FILES
            .iter()
            .map(|text| {
                let f: File = serde_json::from_str(text).expect("managed policy file is valid");
                let document = f.document.to_string();
                let parsed =
                    rampart_policy::Policy::parse(&document).expect("managed policy parses").with_name(f.name.clone());
                let p = AwsManagedPolicy {
                    parsed: std::sync::Arc::new(parsed),
                    name: f.name,
                    arn: f.arn.clone(),
                    path: f.path,
                    description: f.description,
                    version_id: f.version_id,
                    create_date: f.create_date,
                    update_date: f.update_date,
                    document,
                };
                (f.arn, p)
            })
            .collect();
        Self { by_arn }
    }

    /// The policy `arn`.
    pub fn get(&self, arn: &str) -> Option<&AwsManagedPolicy> {
        self.by_arn.get(arn)
    }

    /// Every policy, sorted by name.
    pub fn all(&self) -> Vec<&AwsManagedPolicy> {
        let mut v: Vec<_> = self.by_arn.values().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_managed_policy_parses_as_an_identity_policy() {
        let m = ManagedPolicies::load();
        assert_eq!(m.all().len(), FILES.len());
        for p in m.all() {
            rampart_policy::Policy::parse(&p.document).unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert!(p.arn.starts_with("arn:aws:iam::aws:policy/"), "{}", p.arn);
        }
        let admin = m.get("arn:aws:iam::aws:policy/AdministratorAccess").expect("AdministratorAccess");
        assert!(admin.document.contains("\"Action\":\"*\""));
    }
}
