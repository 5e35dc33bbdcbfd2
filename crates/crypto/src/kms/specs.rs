//! The key specs, usages and algorithms of AWS KMS, by their AWS names.

macro_rules! aws_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in AWS's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The AWS name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }

            /// Parses the AWS name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

aws_enum!(
    /// What a KMS key is (`KeySpec`).
    KeySpec {
        /// AES-256-GCM.
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// RSA, 2048-bit modulus.
        Rsa2048 = "RSA_2048",
        /// RSA, 3072-bit modulus.
        Rsa3072 = "RSA_3072",
        /// RSA, 4096-bit modulus.
        Rsa4096 = "RSA_4096",
        /// ECDSA on NIST P-256.
        EccNistP256 = "ECC_NIST_P256",
        /// ECDSA on NIST P-384.
        EccNistP384 = "ECC_NIST_P384",
        /// ECDSA on NIST P-521.
        EccNistP521 = "ECC_NIST_P521",
        /// ECDSA on secp256k1.
        EccSecgP256k1 = "ECC_SECG_P256K1",
        /// HMAC with SHA-224.
        Hmac224 = "HMAC_224",
        /// HMAC with SHA-256.
        Hmac256 = "HMAC_256",
        /// HMAC with SHA-384.
        Hmac384 = "HMAC_384",
        /// HMAC with SHA-512.
        Hmac512 = "HMAC_512",
    }
);

aws_enum!(
    /// What a KMS key may be used for (`KeyUsage`).
    KeyUsage {
        /// Encrypt and decrypt.
        EncryptDecrypt = "ENCRYPT_DECRYPT",
        /// Sign and verify.
        SignVerify = "SIGN_VERIFY",
        /// Generate and verify MACs.
        GenerateVerifyMac = "GENERATE_VERIFY_MAC",
    }
);

aws_enum!(
    /// Encryption algorithms (`EncryptionAlgorithmSpec`).
    EncryptionAlgorithm {
        /// AES-256-GCM with a self-describing ciphertext blob.
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// RSA-OAEP with SHA-1 (and MGF1 with SHA-1).
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA-OAEP with SHA-256 (and MGF1 with SHA-256).
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
    }
);

aws_enum!(
    /// Signing algorithms (`SigningAlgorithmSpec`).
    SigningAlgorithm {
        /// RSASSA-PSS with SHA-256.
        RsassaPssSha256 = "RSASSA_PSS_SHA_256",
        /// RSASSA-PSS with SHA-384.
        RsassaPssSha384 = "RSASSA_PSS_SHA_384",
        /// RSASSA-PSS with SHA-512.
        RsassaPssSha512 = "RSASSA_PSS_SHA_512",
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        RsassaPkcs1V15Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
        /// RSASSA-PKCS1-v1_5 with SHA-384.
        RsassaPkcs1V15Sha384 = "RSASSA_PKCS1_V1_5_SHA_384",
        /// RSASSA-PKCS1-v1_5 with SHA-512.
        RsassaPkcs1V15Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
        /// ECDSA with SHA-256.
        EcdsaSha256 = "ECDSA_SHA_256",
        /// ECDSA with SHA-384.
        EcdsaSha384 = "ECDSA_SHA_384",
        /// ECDSA with SHA-512.
        EcdsaSha512 = "ECDSA_SHA_512",
    }
);

aws_enum!(
    /// MAC algorithms (`MacAlgorithmSpec`).
    MacAlgorithm {
        /// HMAC-SHA-224.
        HmacSha224 = "HMAC_SHA_224",
        /// HMAC-SHA-256.
        HmacSha256 = "HMAC_SHA_256",
        /// HMAC-SHA-384.
        HmacSha384 = "HMAC_SHA_384",
        /// HMAC-SHA-512.
        HmacSha512 = "HMAC_SHA_512",
    }
);

aws_enum!(
    /// How a message to sign is given (`MessageType`).
    MessageType {
        /// The message itself.
        Raw = "RAW",
        /// Its digest.
        Digest = "DIGEST",
    }
);

impl KeySpec {
    /// Whether this is an RSA key.
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096)
    }

    /// Whether this is an elliptic-curve key.
    pub fn is_ecc(self) -> bool {
        matches!(self, Self::EccNistP256 | Self::EccNistP384 | Self::EccNistP521 | Self::EccSecgP256k1)
    }

    /// Whether this is an HMAC key.
    pub fn is_hmac(self) -> bool {
        matches!(self, Self::Hmac224 | Self::Hmac256 | Self::Hmac384 | Self::Hmac512)
    }

    /// Whether this is an asymmetric (RSA or ECC) key.
    pub fn is_asymmetric(self) -> bool {
        self.is_rsa() || self.is_ecc()
    }

    /// The key usages AWS allows for this spec.
    pub fn usages(self) -> &'static [KeyUsage] {
        match self {
            Self::SymmetricDefault => &[KeyUsage::EncryptDecrypt],
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &[KeyUsage::EncryptDecrypt, KeyUsage::SignVerify],
            Self::EccNistP256 | Self::EccNistP384 | Self::EccNistP521 | Self::EccSecgP256k1 => &[KeyUsage::SignVerify],
            Self::Hmac224 | Self::Hmac256 | Self::Hmac384 | Self::Hmac512 => &[KeyUsage::GenerateVerifyMac],
        }
    }

    /// The encryption algorithms of a key of this spec used for `usage`.
    pub fn encryption_algorithms(self, usage: KeyUsage) -> &'static [EncryptionAlgorithm] {
        match (self, usage) {
            (Self::SymmetricDefault, _) => &[EncryptionAlgorithm::SymmetricDefault],
            (s, KeyUsage::EncryptDecrypt) if s.is_rsa() => {
                &[EncryptionAlgorithm::RsaesOaepSha1, EncryptionAlgorithm::RsaesOaepSha256]
            }
            _ => &[],
        }
    }

    /// The signing algorithms of a key of this spec used for `usage`.
    pub fn signing_algorithms(self, usage: KeyUsage) -> &'static [SigningAlgorithm] {
        use SigningAlgorithm::*;
        if usage != KeyUsage::SignVerify {
            return &[];
        }
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &[
                RsassaPssSha256,
                RsassaPssSha384,
                RsassaPssSha512,
                RsassaPkcs1V15Sha256,
                RsassaPkcs1V15Sha384,
                RsassaPkcs1V15Sha512,
            ],
            Self::EccNistP256 | Self::EccSecgP256k1 => &[EcdsaSha256],
            Self::EccNistP384 => &[EcdsaSha384],
            Self::EccNistP521 => &[EcdsaSha512],
            _ => &[],
        }
    }

    /// The MAC algorithm of an HMAC key.
    pub fn mac_algorithms(self) -> &'static [MacAlgorithm] {
        match self {
            Self::Hmac224 => &[MacAlgorithm::HmacSha224],
            Self::Hmac256 => &[MacAlgorithm::HmacSha256],
            Self::Hmac384 => &[MacAlgorithm::HmacSha384],
            Self::Hmac512 => &[MacAlgorithm::HmacSha512],
            _ => &[],
        }
    }

    /// The length in bytes of generated key material for symmetric and HMAC keys.
    pub fn secret_len(self) -> Option<usize> {
        match self {
            Self::SymmetricDefault | Self::Hmac256 => Some(32),
            Self::Hmac224 => Some(28),
            Self::Hmac384 => Some(48),
            Self::Hmac512 => Some(64),
            _ => None,
        }
    }
}

impl SigningAlgorithm {
    /// The hash the algorithm signs with.
    pub fn digest(self) -> &'static aws_lc_rs::digest::Algorithm {
        use aws_lc_rs::digest::{SHA256, SHA384, SHA512};
        match self {
            Self::RsassaPssSha256 | Self::RsassaPkcs1V15Sha256 | Self::EcdsaSha256 => &SHA256,
            Self::RsassaPssSha384 | Self::RsassaPkcs1V15Sha384 | Self::EcdsaSha384 => &SHA384,
            Self::RsassaPssSha512 | Self::RsassaPkcs1V15Sha512 | Self::EcdsaSha512 => &SHA512,
        }
    }
}

impl MacAlgorithm {
    /// The HMAC algorithm.
    pub fn hmac(self) -> aws_lc_rs::hmac::Algorithm {
        use aws_lc_rs::hmac::{HMAC_SHA224, HMAC_SHA256, HMAC_SHA384, HMAC_SHA512};
        match self {
            Self::HmacSha224 => HMAC_SHA224,
            Self::HmacSha256 => HMAC_SHA256,
            Self::HmacSha384 => HMAC_SHA384,
            Self::HmacSha512 => HMAC_SHA512,
        }
    }
}
