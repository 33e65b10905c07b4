//! Added latency of the emulator's answers: a fixed number of milliseconds
//! or a seeded random range.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Added latency: fixed (`min == max`) or uniform in `min..=max` ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl Latency {
    pub fn fixed(ms: u64) -> Latency {
        Latency {
            min_ms: ms,
            max_ms: ms,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.max_ms == 0
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min_ms == self.max_ms {
            write!(f, "{}", self.min_ms)
        } else {
            write!(f, "{}..{}", self.min_ms, self.max_ms)
        }
    }
}

/// `50` or `20..200` (milliseconds).
impl FromStr for Latency {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let num = |x: &str| {
            x.trim().parse::<u64>().map_err(|_| {
                format!("{s:?} is not a latency; use milliseconds like 50 or a range like 20..200")
            })
        };
        match s.split_once("..") {
            None => num(s).map(Latency::fixed),
            Some((lo, hi)) => {
                let (min_ms, max_ms) = (num(lo)?, num(hi)?);
                if min_ms > max_ms {
                    return Err(format!("{s:?}: the range must go from low to high"));
                }
                Ok(Latency { min_ms, max_ms })
            }
        }
    }
}

impl Serialize for Latency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Ms(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Ms(ms) => Ok(Latency::fixed(ms)),
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_reads_fixed_values_and_ranges() {
        assert_eq!("50".parse(), Ok(Latency::fixed(50)));
        assert_eq!(
            "20..200".parse(),
            Ok(Latency {
                min_ms: 20,
                max_ms: 200
            })
        );
        assert!(
            "200..20"
                .parse::<Latency>()
                .unwrap_err()
                .contains("low to high")
        );
        assert!("fast".parse::<Latency>().unwrap_err().contains("20..200"));
        assert_eq!(
            Latency {
                min_ms: 20,
                max_ms: 200
            }
            .to_string(),
            "20..200"
        );
    }
}
