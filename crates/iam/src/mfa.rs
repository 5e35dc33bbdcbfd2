//! Checking MFA codes: a virtual MFA device's seed is sealed by the keystore; a code is valid for
//! one use within one 30-second step of now.

use crate::model::{IAM, Kind, MfaDeviceRecord};
use crate::state::Iam;
use crate::totp;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rampart_core::ids::AccountId;
use rampart_core::{AwsError, Principal, PrincipalKind};
use rampart_store::TxnExt;
use zeroize::Zeroizing;

/// The keystore purpose an MFA seed is sealed for.
pub(crate) fn seed_purpose(serial: &str) -> Vec<u8> {
    format!("rampart/iam/mfa-seed/{serial}").into_bytes()
}

/// Seals a new device's seed.
pub(crate) fn seal_seed(iam: &Iam, serial: &str, seed: &[u8]) -> Result<String, AwsError> {
    let sealed = iam.keystore.seal(&seed_purpose(serial), seed).map_err(|e| {
        tracing::error!(error = %e, "cannot seal MFA seed");
        AwsError::internal()
    })?;
    Ok(B64.encode(sealed))
}

/// Opens a device's seed.
pub(crate) fn open_seed(iam: &Iam, device: &MfaDeviceRecord) -> Result<Zeroizing<Vec<u8>>, AwsError> {
    let sealed = B64.decode(&device.sealed_seed).map_err(|_| AwsError::internal())?;
    iam.keystore.open(&seed_purpose(&device.serial), &sealed).map_err(|e| {
        tracing::error!(error = %e, serial = %device.serial, "cannot open MFA seed");
        AwsError::internal()
    })
}

/// The store key of the device with serial number (ARN) `serial` in `account`.
pub(crate) fn device_key(account: &AccountId, serial: &str) -> Option<String> {
    let rest = serial.strip_prefix(&format!("arn:aws:iam::{account}:mfa"))?;
    let name = rest.rsplit('/').next().filter(|n| !n.is_empty())?;
    Some(Kind::Mfa.key(account, name))
}

fn invalid_code() -> AwsError {
    AwsError::access_denied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
}

/// Checks `code` from `caller`'s enabled MFA device `serial`, marking the code used. Returns the
/// time of the check (unix seconds).
pub(crate) fn verify_code(iam: &Iam, caller: &Principal, serial: &str, code: &str) -> Result<i64, AwsError> {
    let acct = &caller.account_id;
    let key = device_key(acct, serial).ok_or_else(invalid_code)?;
    let now = iam.clock.now().unix_timestamp();
    iam.write(|t| {
        let mut device =
            t.get_json::<MfaDeviceRecord>(IAM, &key)?.filter(|d| d.serial == serial).ok_or_else(invalid_code)?;
        let owner_ok = match (caller.kind, &device.user) {
            (PrincipalKind::IamUser, Some(u)) => caller.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(u)),
            (PrincipalKind::Root, Some(u)) => u == "<root_account>",
            (PrincipalKind::AssumedRole, Some(_)) => true,
            _ => false,
        };
        if !owner_ok {
            return Err(invalid_code());
        }
        let seed = open_seed(iam, &device)?;
        let now_step = totp::step_of(now).saturating_add_signed(device.drift_steps);
        let step = totp::matching_step(&seed, code, now_step, device.last_step).ok_or_else(invalid_code)?;
        device.last_step = step;
        t.put_json(IAM, &key, &device)?;
        Ok(now)
    })
}
