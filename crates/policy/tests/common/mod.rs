//! Table harness shared by the evaluation tables.
#![allow(dead_code, unused_imports)]

use rampart_policy::{
    AuthzContext, ConditionContext, Decision, DenyReason, Policy, PolicyKind, PolicyLayer, PolicySet, PrincipalInfo,
    ResourcePolicy,
};

pub const ACCT: &str = "111122223333";
pub const OTHER: &str = "444455556666";
pub const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
pub const BOB: &str = "arn:aws:iam::111122223333:user/bob";
pub const ROLE: &str = "arn:aws:iam::111122223333:role/Dev";
pub const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Dev/alice-session";
pub const FED: &str = "arn:aws:sts::111122223333:federated-user/carol";
pub const X_USER: &str = "arn:aws:iam::444455556666:user/xavier";
pub const X_ROLE: &str = "arn:aws:iam::444455556666:role/Ops";
pub const X_SESSION: &str = "arn:aws:sts::444455556666:assumed-role/Ops/s1";
pub const OBJ: &str = "arn:aws:s3:::bucket/key";

/// What a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Allow,
    Explicit(PolicyLayer),
    Implicit(PolicyLayer),
    /// Implicit deny, reason not checked.
    Denied,
}

pub use Expect::{Allow, Denied, Explicit, Implicit};
pub use PolicyLayer::{Boundary as B, Identity as I, Resource as R, Session as S};

/// One row of a table.
pub struct Case {
    pub name: &'static str,
    identity: Vec<String>,
    resource: Option<(String, PolicyKind, &'static str, bool)>,
    owner: Option<&'static str>,
    boundary: Option<String>,
    session: Vec<String>,
    principal: PrincipalInfo,
    action: &'static str,
    resource_arn: &'static str,
    ctx: ConditionContext,
    expect: Expect,
}

/// Starts a case: alice (an IAM user of ACCT) calling s3:GetObject on OBJ.
pub fn case(name: &'static str) -> Case {
    Case {
        name,
        identity: vec![],
        resource: None,
        owner: None,
        boundary: None,
        session: vec![],
        principal: PrincipalInfo::user(ALICE),
        action: "s3:GetObject",
        resource_arn: OBJ,
        ctx: ConditionContext::new(),
        expect: Denied,
    }
}

impl Case {
    pub fn id(mut self, json: impl Into<String>) -> Self {
        self.identity.push(json.into());
        self
    }
    /// A resource-based policy of a resource owned by `owner`.
    pub fn rp(mut self, json: impl Into<String>, owner: &'static str) -> Self {
        self.resource = Some((json.into(), PolicyKind::Resource, owner, false));
        self
    }
    /// A resource-based policy that must grant even within the account (KMS key policy style).
    pub fn rp_required(mut self, json: impl Into<String>, owner: &'static str) -> Self {
        self.resource = Some((json.into(), PolicyKind::Resource, owner, true));
        self
    }
    /// A role trust policy of a role owned by `owner`.
    pub fn trust(mut self, json: impl Into<String>, owner: &'static str) -> Self {
        self.resource = Some((json.into(), PolicyKind::Trust, owner, true));
        self
    }
    /// The resource has no resource-based policy and belongs to `owner`.
    pub fn owner(mut self, owner: &'static str) -> Self {
        self.owner = Some(owner);
        self
    }
    pub fn boundary(mut self, json: impl Into<String>) -> Self {
        self.boundary = Some(json.into());
        self
    }
    pub fn session(mut self, json: impl Into<String>) -> Self {
        self.session.push(json.into());
        self
    }
    pub fn who(mut self, p: PrincipalInfo) -> Self {
        self.principal = p;
        self
    }
    pub fn act(mut self, action: &'static str) -> Self {
        self.action = action;
        self
    }
    pub fn res(mut self, arn: &'static str) -> Self {
        self.resource_arn = arn;
        self
    }
    pub fn ctx(mut self, key: &str, value: &str) -> Self {
        self.ctx.insert(key, value);
        self
    }
    pub fn ctxm(mut self, key: &str, values: &[&str]) -> Self {
        self.ctx.insert_multi(key, values.iter().copied());
        self
    }
    pub fn expect(mut self, e: Expect) -> Self {
        self.expect = e;
        self
    }

    /// Runs the case; `Err` describes a mismatch.
    pub fn run(&self) -> Result<(), String> {
        let parse = |json: &str, kind| {
            Policy::parse_as(json, kind).map_err(|e| format!("{}: policy does not parse: {e}\n{json}", self.name))
        };
        let identity: Vec<Policy> =
            self.identity.iter().map(|j| parse(j, PolicyKind::Identity)).collect::<Result<_, _>>()?;
        let session: Vec<Policy> =
            self.session.iter().map(|j| parse(j, PolicyKind::Session)).collect::<Result<_, _>>()?;
        let boundary = self.boundary.as_deref().map(|j| parse(j, PolicyKind::Boundary)).transpose()?;
        let resource = match &self.resource {
            Some((json, kind, owner, required)) => Some((parse(json, *kind)?, *owner, *required)),
            None => None,
        };
        let id_refs: Vec<&Policy> = identity.iter().collect();
        let s_refs: Vec<&Policy> = session.iter().collect();
        let req = AuthzContext {
            principal: &self.principal,
            action: self.action,
            resource: self.resource_arn,
            context: &self.ctx,
            policies: PolicySet {
                identity: &id_refs,
                resource: resource.as_ref().map(|(p, owner, required)| ResourcePolicy {
                    policy: p,
                    owner_account: owner,
                    grant_required: *required,
                }),
                resource_owner: self.owner,
                boundary: boundary.as_ref(),
                session: &s_refs,
            },
        };
        let got = req.evaluate();
        let ok = match self.expect {
            Allow => got.decision == Decision::Allow && got.reason.is_none(),
            Explicit(l) => got.decision == Decision::ExplicitDeny && got.reason == Some(DenyReason::ExplicitDeny(l)),
            Implicit(l) => got.decision == Decision::ImplicitDeny && got.reason == Some(DenyReason::NoAllow(l)),
            Denied => got.decision == Decision::ImplicitDeny,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{}: expected {:?}, got {:?} ({:?})", self.name, self.expect, got.decision, got.reason))
        }
    }
}

/// Runs a table, failing with every mismatch listed; returns the number of cases.
pub fn run_table(cases: Vec<Case>) -> usize {
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(names.insert(c.name), "duplicate case name {}", c.name);
    }
    let failures: Vec<String> = cases.iter().filter_map(|c| c.run().err()).collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    cases.len()
}

/// An identity policy with the given statements (a JSON array body) in Version 2012-10-17.
pub fn pol(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

/// `Allow` `action` on `resource`.
pub fn allow(action: &str, resource: &str) -> String {
    pol(&format!(r#"{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}"#))
}

/// `Deny` `action` on `resource`.
pub fn deny(action: &str, resource: &str) -> String {
    pol(&format!(r#"{{"Effect":"Deny","Action":"{action}","Resource":"{resource}"}}"#))
}

/// `Allow *` on `*` under the condition block `cond` (a JSON object).
pub fn allow_if(cond: &str) -> String {
    pol(&format!(r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{cond}}}"#))
}

/// A resource-policy statement list allowing `action` to the principal element `principal`.
pub fn rp_allow(principal: &str, action: &str) -> String {
    pol(&format!(r#"{{"Effect":"Allow","Principal":{principal},"Action":"{action}","Resource":"*"}}"#))
}

/// A resource-policy statement list denying `action` to the principal element `principal`.
pub fn rp_deny(principal: &str, action: &str) -> String {
    pol(&format!(r#"{{"Effect":"Deny","Principal":{principal},"Action":"{action}","Resource":"*"}}"#))
}
