//! kdb+ type numbers.
//!
//! A q value's type is a signed short: negative for atoms, positive for vectors and
//! compound values, exactly as `type x` reports it in q. [`QType`] keeps that number
//! explicit so that it can be written to the wire and to disk unchanged.

use std::fmt;

/// A kdb+ type number, as returned by q's `type`.
///
/// Atoms are negative (`-7h` is a long atom), vectors positive (`7h` a long vector).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QType(pub i16);

/// Elementary (atom/vector) kinds in type-number order, for iteration in tests.
pub const BASE_TYPES: [QType; 18] = [
    QType::BOOLEAN,
    QType::GUID,
    QType::BYTE,
    QType::SHORT,
    QType::INT,
    QType::LONG,
    QType::REAL,
    QType::FLOAT,
    QType::CHAR,
    QType::SYMBOL,
    QType::TIMESTAMP,
    QType::MONTH,
    QType::DATE,
    QType::DATETIME,
    QType::TIMESPAN,
    QType::MINUTE,
    QType::SECOND,
    QType::TIME,
];

impl QType {
    /// 0: general (mixed) list.
    pub const LIST: QType = QType(0);
    /// 1: boolean (`b`).
    pub const BOOLEAN: QType = QType(1);
    /// 2: guid (`g`).
    pub const GUID: QType = QType(2);
    /// 4: byte (`x`).
    pub const BYTE: QType = QType(4);
    /// 5: short (`h`).
    pub const SHORT: QType = QType(5);
    /// 6: int (`i`).
    pub const INT: QType = QType(6);
    /// 7: long (`j`).
    pub const LONG: QType = QType(7);
    /// 8: real (`e`).
    pub const REAL: QType = QType(8);
    /// 9: float (`f`).
    pub const FLOAT: QType = QType(9);
    /// 10: char (`c`).
    pub const CHAR: QType = QType(10);
    /// 11: symbol (`s`).
    pub const SYMBOL: QType = QType(11);
    /// 12: timestamp (`p`), nanoseconds since 2000.01.01D00:00.
    pub const TIMESTAMP: QType = QType(12);
    /// 13: month (`m`), months since 2000.01.
    pub const MONTH: QType = QType(13);
    /// 14: date (`d`), days since 2000.01.01.
    pub const DATE: QType = QType(14);
    /// 15: datetime (`z`), float days since 2000.01.01 (deprecated in q).
    pub const DATETIME: QType = QType(15);
    /// 16: timespan (`n`), nanoseconds.
    pub const TIMESPAN: QType = QType(16);
    /// 17: minute (`u`).
    pub const MINUTE: QType = QType(17);
    /// 18: second (`v`).
    pub const SECOND: QType = QType(18);
    /// 19: time (`t`), milliseconds.
    pub const TIME: QType = QType(19);
    /// 20: the first enumeration type (20..=76 are enumerations).
    pub const ENUM_FIRST: QType = QType(20);
    /// 76: the last enumeration type.
    pub const ENUM_LAST: QType = QType(76);
    /// 98: table.
    pub const TABLE: QType = QType(98);
    /// 99: dictionary (and keyed table).
    pub const DICT: QType = QType(99);
    /// 100: lambda.
    pub const LAMBDA: QType = QType(100);
    /// 101: unary primitive (and the generic null `::`).
    pub const UNARY: QType = QType(101);
    /// 102: operator (binary primitive).
    pub const BINARY: QType = QType(102);
    /// 103: iterator.
    pub const ITERATOR: QType = QType(103);
    /// 104: projection.
    pub const PROJECTION: QType = QType(104);
    /// 105: composition.
    pub const COMPOSITION: QType = QType(105);
    /// 106: `f'` (each).
    pub const EACH: QType = QType(106);
    /// 107: `f/` (over).
    pub const OVER: QType = QType(107);
    /// 108: `f\` (scan).
    pub const SCAN: QType = QType(108);
    /// 109: `f':` (each-prior / each-parallel).
    pub const EACH_PRIOR: QType = QType(109);
    /// 110: `f/:` (each-right).
    pub const EACH_RIGHT: QType = QType(110);
    /// 111: `f\:` (each-left).
    pub const EACH_LEFT: QType = QType(111);
    /// 112: dynamic load (a function from a shared library).
    pub const DYNLOAD: QType = QType(112);
    /// 127: sorted dictionary (a dict whose keys carry `s#`), on the wire only.
    pub const SORTED_DICT: QType = QType(127);
    /// -128: error, on the wire only.
    pub const ERROR: QType = QType(-128);

    /// The raw type number.
    #[inline]
    pub const fn code(self) -> i16 {
        self.0
    }

    /// The atom type of this vector type (`7` → `-7`); atoms map to themselves.
    #[inline]
    pub const fn atom(self) -> QType {
        if self.0 > 0 {
            QType(-self.0)
        } else {
            self
        }
    }

    /// The vector type of this atom type (`-7` → `7`); vectors map to themselves.
    #[inline]
    pub const fn vector(self) -> QType {
        if self.0 < 0 {
            QType(-self.0)
        } else {
            self
        }
    }

    /// True for the 18 elementary vector types 1..=19 (there is no type 3).
    #[inline]
    pub const fn is_base_vector(self) -> bool {
        matches!(self.0, 1..=19) && self.0 != 3
    }

    /// True for the elementary atom types -1..=-19.
    #[inline]
    pub const fn is_base_atom(self) -> bool {
        QType(-self.0).is_base_vector()
    }

    /// True for enumeration types (20..=76, atoms -20..=-76).
    #[inline]
    pub const fn is_enum(self) -> bool {
        let a = if self.0 < 0 { -self.0 } else { self.0 };
        a >= 20 && a <= 76
    }

    /// True for the function types 100..=112.
    #[inline]
    pub const fn is_function(self) -> bool {
        self.0 >= 100 && self.0 <= 112
    }

    /// Bytes per element of a vector of this type (or of the atom), if fixed-width.
    ///
    /// Symbols are stored as 4-byte ids in memory; their wire form is variable.
    /// Enumerations hold 8-byte indices.
    #[inline]
    pub const fn elem_size(self) -> Option<usize> {
        let a = if self.0 < 0 { -self.0 } else { self.0 };
        Some(match a {
            1 | 4 | 10 => 1,
            2 => 16,
            5 => 2,
            6 | 8 | 11 | 13 | 14 | 17 | 18 | 19 => 4,
            7 | 9 | 12 | 15 | 16 => 8,
            20..=76 => 8,
            _ => return None,
        })
    }

    /// The q type letter (`"j"` for long), as used by `$` casts and `meta`; `' '` for a
    /// general list and `'?'` when the type has no letter.
    pub const fn letter(self) -> char {
        let a = if self.0 < 0 { -self.0 } else { self.0 };
        match a {
            0 => ' ',
            1 => 'b',
            2 => 'g',
            4 => 'x',
            5 => 'h',
            6 => 'i',
            7 => 'j',
            8 => 'e',
            9 => 'f',
            10 => 'c',
            11 => 's',
            12 => 'p',
            13 => 'm',
            14 => 'd',
            15 => 'z',
            16 => 'n',
            17 => 'u',
            18 => 'v',
            19 => 't',
            _ => '?',
        }
    }

    /// The q type name (`long`, `timestamp`...), as `` `long$ `` casts take it.
    pub const fn name(self) -> &'static str {
        let a = if self.0 < 0 { -self.0 } else { self.0 };
        match a {
            0 => "list",
            1 => "boolean",
            2 => "guid",
            4 => "byte",
            5 => "short",
            6 => "int",
            7 => "long",
            8 => "real",
            9 => "float",
            10 => "char",
            11 => "symbol",
            12 => "timestamp",
            13 => "month",
            14 => "date",
            15 => "datetime",
            16 => "timespan",
            17 => "minute",
            18 => "second",
            19 => "time",
            20..=76 => "enum",
            98 => "table",
            99 => "dict",
            100 => "lambda",
            101 => "unary primitive",
            102 => "operator",
            103 => "iterator",
            104 => "projection",
            105 => "composition",
            106..=111 => "derived function",
            112 => "dynamic load",
            127 => "sorted dict",
            _ => "unknown",
        }
    }

    /// The vector type for a q type letter (`'j'` → `7`).
    pub const fn from_letter(c: char) -> Option<QType> {
        Some(QType(match c {
            'b' => 1,
            'g' => 2,
            'x' => 4,
            'h' => 5,
            'i' => 6,
            'j' => 7,
            'e' => 8,
            'f' => 9,
            'c' => 10,
            's' => 11,
            'p' => 12,
            'm' => 13,
            'd' => 14,
            'z' => 15,
            'n' => 16,
            'u' => 17,
            'v' => 18,
            't' => 19,
            _ => return None,
        }))
    }

    /// True for the temporal types (timestamp..time).
    #[inline]
    pub const fn is_temporal(self) -> bool {
        let a = if self.0 < 0 { -self.0 } else { self.0 };
        a >= 12 && a <= 19
    }
}

impl fmt::Debug for QType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}h", self.0)
    }
}

impl fmt::Display for QType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}h", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_round_trip() {
        for t in BASE_TYPES {
            assert_eq!(QType::from_letter(t.letter()), Some(t));
            assert!(t.is_base_vector());
            assert!(t.atom().is_base_atom());
            assert_eq!(t.atom().vector(), t);
        }
        assert!(!QType(3).is_base_vector());
        assert!(QType(20).is_enum() && QType(-76).is_enum() && !QType(77).is_enum());
    }

    #[test]
    fn sizes() {
        assert_eq!(QType::GUID.elem_size(), Some(16));
        assert_eq!(QType::LONG.atom().elem_size(), Some(8));
        assert_eq!(QType::SYMBOL.elem_size(), Some(4));
        assert_eq!(QType::TABLE.elem_size(), None);
    }
}
