//! The AWS wire: SigV4 verification, the protocols (query, JSON 1.1, REST-XML) with their error
//! shapes, and the declarations services use to register operations.

pub mod sigv4;
