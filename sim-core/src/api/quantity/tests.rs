//! Tests of the quantity module, against values and messages of the Go code.

use super::*;
use proptest::prelude::*;

fn q(s: &str) -> Quantity {
    match Quantity::parse(s) {
        Ok(v) => v,
        Err(e) => panic!("{s:?} should parse: {e}"),
    }
}

#[test]
fn brief_examples() {
    assert_eq!(parse_cpu_millis("100m"), Ok(100));
    assert_eq!(parse_cpu_millis("2"), Ok(2000));
    assert_eq!(parse_cpu_millis("0.5"), Ok(500));
    assert_eq!(parse_bytes("1Gi"), Ok(1_073_741_824));
    assert_eq!(parse_bytes("200Mi"), Ok(209_715_200));
    assert_eq!(parse_bytes("10M"), Ok(10_000_000));
    assert_eq!(parse_bytes("1e3"), Ok(1000));
    assert_eq!(parse_bytes("100m"), Ok(1));
    assert_eq!(parse_bytes("1.5Gi"), Ok(1_610_612_736));
    assert_eq!(parse_bytes("128974848"), Ok(128_974_848));
    assert_eq!(parse_bytes("129e6"), Ok(129_000_000));
    assert_eq!(parse_bytes("123Mi"), Ok(128_974_848));
    assert_eq!(parse_bytes("2"), Ok(2));
    assert_eq!(parse_bytes("0.5"), Ok(1));
}

#[test]
fn malformed_inputs_are_rejected() {
    for s in [
        "1.2.3", "Gi", "1 Gi", "1gi", "1KB", "", "abc", "1e", "--1", " 1", "1 ", "1.1.M", "1+1.0M",
        "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", "+", "-", ".", "m", "e3",
        "1ki", "1ee3", "1e3.5", "1Mi3", "1.5 ", "\u{661}",
    ] {
        assert!(Quantity::parse(s).is_err(), "{s:?} should be rejected");
    }
}

#[test]
fn error_messages() {
    let msg = |s: &str| {
        Quantity::parse(s)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let m = msg("1KB");
    assert!(m.starts_with(r#"invalid quantity "1KB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"#), "{m}");
    assert!(m.contains("Ki, Mi, Gi"));
    let m = msg("1gi");
    assert!(m.contains("regular expression"), "{m}");
    let m = msg("1ki");
    assert!(
        m.starts_with(r#"invalid quantity "1ki": unable to parse quantity's suffix "ki""#),
        "{m}"
    );
    assert!(msg("1e").contains(r#"suffix "e""#));
    assert!(msg("").starts_with(r#"invalid quantity "": quantities must match"#));
    let m = match q("8E").milli_value() {
        Err(e) => e.to_string(),
        Ok(v) => panic!("unexpected {v}"),
    };
    assert_eq!(
        m,
        "quantity 8E is too large: its milli value does not fit in a signed 64-bit integer"
    );
}

#[test]
fn parse_table_from_go() {
    // (input, value in nanounits) from quantity_test.go TestQuantityParse.
    let g: i128 = NANOS_PER_UNIT;
    let cases: &[(&str, i128)] = &[
        ("0", 0),
        ("0n", 0),
        ("0Ki", 0),
        ("0T", 0),
        ("1", g),
        ("1Ki", 1024 * g),
        ("8Ki", 8 * 1024 * g),
        ("7Mi", 7 * (1 << 20) * g),
        ("6Gi", 6 * (1 << 30) * g),
        ("5Ti", 5 * (1 << 40) * g),
        ("4Pi", 4 * (1 << 50) * g),
        ("3Ei", 3 * (1 << 60) * g),
        ("5n", 5),
        ("4u", 4_000),
        ("3m", 3_000_000),
        ("8k", 8_000 * g),
        ("50k", 50_000 * g),
        ("300T", 300 * 1_000_000_000_000 * g),
        ("1E", 1_000_000_000_000_000_000 * g),
        ("12E", 12_000_000_000_000_000_000 * g),
        ("1E-3", 1_000_000),
        ("1e3", 1000 * g),
        ("1E18", 1_000_000_000_000_000_000 * g),
        ("1e14", 100_000_000_000_000 * g),
        ("100.035k", 100_035 * g),
        ("0.001", 1_000_000),
        ("0.0005k", 500_000_000),
        ("0.00050k", 500_000_000),
        ("0.5e-2", 5_000_000),
        ("10.035M", 10_035_000 * g),
        ("1.2e3", 1200 * g),
        ("1.3E+6", 1_300_000 * g),
        ("1.53E12", 1_530_000_000_000 * g),
        ("6.987654321G", 6_987_654_321 * g),
        ("1.01E", 1_010_000_000_000_000_000 * g),
        ("3.001n", 4),
        ("1.1E-9", 2),
        ("0.0000000001", 1),
        ("0.0000000005", 1),
        ("0.5e-9", 1),
        ("0.9n", 1),
        ("0.00000012345", 124),
        ("0.00000012354", 124),
        ("9Ei", i128::from(i64::MAX) * g),
        ("9223372036854775807Ki", i128::from(i64::MAX) * g),
        ("100.035Ki", 102_435_840_000_000),
        ("0.5Mi", 524_288 * g),
        ("0.05Gi", 53_687_091_200_000_000),
        ("0.025Ti", 27_487_790_694_400_000_000),
        ("0.000000000001Ki", 2),
        (".001", 1_000_000),
        (".0001k", 100_000_000),
        ("1.", g),
        ("1.G", g * g),
        ("-1.5", -1_500_000_000),
        ("+1.5", 1_500_000_000),
        ("-0.000000000001Ki", -2),
        ("-9Ei", -i128::from(i64::MAX) * g),
        ("1e-1000", 1),
        ("0e999999999999", 0),
        ("007", 7 * g),
    ];
    for (input, nanos) in cases {
        assert_eq!(q(input).nanos, *nanos, "parsing {input:?}");
    }
}

#[test]
fn formats_follow_suffix() {
    assert_eq!(q("1Ki").format(), QuantityFormat::BinarySi);
    assert_eq!(q("0Ki").format(), QuantityFormat::BinarySi);
    assert_eq!(q("0.5Ki").format(), QuantityFormat::BinarySi);
    assert_eq!(q("0.000000000001Ki").format(), QuantityFormat::DecimalSi);
    assert_eq!(q("1e3").format(), QuantityFormat::DecimalExponent);
    assert_eq!(q("1k").format(), QuantityFormat::DecimalSi);
    assert_eq!(q("1").format(), QuantityFormat::DecimalSi);
}

#[test]
fn rounding_away_from_zero() {
    // Go `negativeScaleInt64`: "The value returned, if not exact, is
    // rounded away from zero."
    assert_eq!(q("1n").milli_value(), Ok(1));
    assert_eq!(q("-1n").milli_value(), Ok(-1));
    assert_eq!(q("1n").value(), Ok(1));
    assert_eq!(q("-1n").value(), Ok(-1));
    assert_eq!(q("1001m").value(), Ok(2));
    assert_eq!(q("-1001m").value(), Ok(-2));
    assert_eq!(q("-1500m").value(), Ok(-2));
    assert_eq!(q("-100m").value(), Ok(-1));
    assert_eq!(q("-1000m").value(), Ok(-1));
    assert_eq!(q("-1.0001m").milli_value(), Ok(-2));
    assert_eq!(q("-1.5").milli_value(), Ok(-1500));
    assert_eq!(q("-2").value(), Ok(-2));
    assert_eq!(q("1.0001m").milli_value(), Ok(2));
    assert_eq!(q("999u").milli_value(), Ok(1));
    assert_eq!(q("0").milli_value(), Ok(0));
}

#[test]
fn overflow_is_an_error() {
    assert_eq!(q("9223372036854775807").value(), Ok(i64::MAX));
    assert!(q("9223372036854775808").value().is_err());
    assert_eq!(q("-9223372036854775808").value(), Ok(i64::MIN));
    assert!(q("9223372036854775807").milli_value().is_err());
    assert_eq!(q("9223372036854775807m").milli_value(), Ok(i64::MAX));
    assert_eq!(q("8Ei").value(), Ok(i64::MAX));
    assert!(q("100000000000000000000000000000").value().is_err());
    assert!(Quantity::parse("1e30").is_err());
    assert_eq!(q(&format!("1{}Ki", "0".repeat(40))).value(), Ok(i64::MAX)); // binary values saturate
    assert!(Quantity::parse(&format!("1.{}1", "0".repeat(200))).is_err());
}

#[test]
fn predicates_and_ordering() {
    assert!(q("-1m").is_negative());
    assert!(!q("-0").is_negative());
    assert!(q("-0").is_zero());
    assert!(q("0Gi").is_zero());
    assert!(!q("1n").is_zero());
    assert_eq!(q("1Gi"), q("1073741824"));
    assert_eq!(q("1000m"), q("1"));
    assert!(q("100m") < q("1"));
    assert!(q("-1") < q("-1m"));
    assert!(q("1Ki") > q("1k"));
}

#[test]
fn canonical_display_from_go() {
    // quantity_test.go TestQuantityParseEmit and TestQuantityString.
    let cases: &[(&str, &str)] = &[
        ("1Ki", "1Ki"),
        ("1Mi", "1Mi"),
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1000M", "1G"),
        (".001Ki", "1024m"),
        (".000001Ki", "1024u"),
        (".000000001Ki", "1024n"),
        (".000000000001Ki", "2n"),
        ("307200Ki", "300Mi"),
        ("6Ki", "6Ki"),
        ("1025024Mi", "1001Gi"),
        ("1024Gi", "1Ti"),
        ("0.001T", "1G"),
        ("1000u", "1m"),
        ("80m", "80m"),
        ("1.08", "1080m"),
        ("1080000000n", "1080m"),
        ("300M", "300M"),
        ("1T", "1T"),
        ("1234567M", "1234567M"),
        ("3k", "3k"),
        ("1025Ki", "1025Ki"),
        ("0", "0"),
        ("0Gi", "0"),
        ("00", "0"),
        (".001e12", "1e9"),
        ("0.001e0", "1e-3"),
        ("1000e-12", "1e-9"),
        ("80e-3", "80e-3"),
        ("300e6", "300e6"),
        ("3e3", "3e3"),
        ("1n", "1n"),
        ("1080n", "1080n"),
        ("1080u", "1080u"),
        ("100m", "100m"),
        ("0.5", "500m"),
        ("2", "2"),
        ("1.5Gi", "1536Mi"),
        ("1.5Ki", "1536"),
        ("0.5Ki", "512"),
        ("1023Ki", "1023Ki"),
        ("128974848", "128974848"),
        ("129e6", "129e6"),
        ("123Mi", "123Mi"),
        ("10M", "10M"),
        ("1e3", "1e3"),
        ("1e0", "1"),
        ("12E", "12E"),
        ("1000E", "1000E"),
        ("1500E", "1500E"),
        ("9Ei", "9223372036854775807"),
        ("50k", "50k"),
        ("1.5k", "1500"),
    ];
    for (input, want) in cases {
        assert_eq!(q(input).to_string(), *want, "canonical form of {input:?}");
        if *want != "0" {
            assert_eq!(
                q(&format!("-{input}")).to_string(),
                format!("-{want}"),
                "canonical form of -{input}"
            );
        }
        // The canonical form parses back to the same value.
        assert_eq!(q(want), q(input));
    }
    assert_eq!(Quantity::new(5, QuantityFormat::BinarySi).to_string(), "5");
    assert_eq!(
        Quantity::new(2048, QuantityFormat::BinarySi).to_string(),
        "2Ki"
    );
    assert_eq!(Quantity::new_milli(1500).to_string(), "1500m");
    assert_eq!(Quantity::new_milli(2000).to_string(), "2");
}

#[test]
fn saturating_values() {
    assert_eq!(q("1500m").saturating_value(), 2);
    assert_eq!(q("-1500m").saturating_value(), -2);
    assert_eq!(q("250m").saturating_milli_value(), 250);
    assert_eq!(q("1e20").saturating_value(), i64::MAX);
    assert_eq!(q("-1e20").saturating_value(), i64::MIN);
    assert_eq!(q("9223372036854775807").saturating_milli_value(), i64::MAX);
    assert_eq!(q("-9223372036854775807").saturating_milli_value(), i64::MIN);
    assert_eq!(q("0").saturating_value(), 0);
}

#[test]
fn cmp_from_go() {
    // quantity_test.go TestQuantityCmp.
    let cases: &[(&str, &str, Ordering)] = &[
        ("0", "0", Ordering::Equal),
        ("100m", "50m", Ordering::Greater),
        ("50m", "100m", Ordering::Less),
        ("10000T", "100Gi", Ordering::Greater),
        ("1Ki", "1024", Ordering::Equal),
        ("-1", "-1000m", Ordering::Equal),
        ("-1n", "0", Ordering::Less),
    ];
    for (a, b, want) in cases {
        assert_eq!(q(a).cmp(&q(b)), *want, "{a} vs {b}");
    }
}

#[test]
fn checked_add_is_exact_and_keeps_go_formats() {
    // (a, b, a + b printed): Go `Add` keeps a's format unless a is zero.
    let cases: &[(&str, &str, &str)] = &[
        ("10", "10", "20"),
        ("100m", "200m", "300m"),
        ("1", "500m", "1500m"),
        ("128Mi", "64Mi", "192Mi"),
        ("1Gi", "1Gi", "2Gi"),
        ("512Mi", "512Mi", "1Gi"),
        // BinarySI left operand: printed in bytes once not a power of 1024.
        ("100Mi", "1G", "1104857600"),
        ("1G", "100Mi", "1104857600"),
        ("1G", "1G", "2G"),
        ("1G", "1024Mi", "2073741824"),
        // Not a whole number of bytes: BinarySI falls back to DecimalSI.
        ("1Gi", "1m", "1073741824001m"),
        ("1e3", "1e3", "2e3"),
        ("1e3", "1", "1001"),
        ("0", "64Mi", "64Mi"),
        ("0Gi", "1k", "1k"),
        ("0", "1e3", "1e3"),
        ("64Mi", "0", "64Mi"),
        ("1Gi", "-1Gi", "0"),
        ("-1Gi", "512Mi", "-512Mi"),
        ("1n", "999999999n", "1"),
        ("0.000000001", "0.000000001", "2n"),
    ];
    for (a, b, want) in cases {
        let sum = q(a).checked_add(&q(b));
        assert_eq!(
            sum.map(|s| s.to_string()).as_deref(),
            Some(*want),
            "{a} + {b}"
        );
        // The sum is the exact value.
        assert_eq!(sum, Some(q(want)), "{a} + {b}");
    }
    assert_eq!(
        Quantity::new(0, QuantityFormat::BinarySi)
            .checked_add(&q("1k"))
            .map(|s| s.format()),
        Some(QuantityFormat::DecimalSi)
    );
    assert_eq!(
        q("1k")
            .checked_add(&Quantity::new(0, QuantityFormat::BinarySi))
            .map(|s| s.format()),
        Some(QuantityFormat::DecimalSi)
    );
    let big = q("100000000000000000000000000000");
    assert_eq!(big.checked_add(&big), None);
    assert_eq!(
        big.checked_add(&q("-1")),
        Some(q("99999999999999999999999999999"))
    );
}

#[test]
fn saturating_add_clamps() {
    let big = q("100000000000000000000000000000");
    let neg = q("-100000000000000000000000000000");
    assert_eq!(big.saturating_add(&big).nanos, i128::MAX);
    assert_eq!(neg.saturating_add(&neg).nanos, -i128::MAX);
    assert_eq!(
        q("1Gi").saturating_add(&big).saturating_add(&big).format(),
        QuantityFormat::BinarySi
    );
    assert_eq!(q("1").saturating_add(&q("1")), q("2"));
    assert_eq!(q("0").saturating_add(&q("1Ki")).to_string(), "1Ki");
    // The clamped value still prints and parses back.
    let clamped = big.saturating_add(&big);
    assert_eq!(q(&clamped.to_string()), clamped);
}

#[test]
fn parsed_quantity_prints_like_go_string() {
    // (input, Go `ParseQuantity(input).String()`): the fast path keeps
    // inputs that look canonical; the rest print canonically.
    let cases: &[(&str, &str)] = &[
        ("0", "0"),
        ("-0", "0"),
        ("00", "0"),
        ("0.0", "0"),
        ("0Gi", "0"),
        ("1", "1"),
        ("-1", "-1"),
        ("+1", "+1"),
        ("007", "007"),
        ("1.", "1."),
        ("1.G", "1.G"),
        ("100m", "100m"),
        ("+100m", "+100m"),
        ("1500", "1500"),
        ("1000", "1k"),
        ("1000m", "1"),
        ("0.5", "500m"),
        ("1.5", "1500m"),
        ("10.0", "10"),
        ("1.234k", "1.234k"),
        ("1.500k", "1.500k"),
        ("1.000k", "1k"),
        ("1.5k", "1500"),
        ("1e3", "1e3"),
        ("1E3", "1E3"),
        ("1e+3", "1e+3"),
        ("10e3", "10e3"),
        ("1.5e3", "1500"),
        ("12e6", "12e6"),
        ("129e6", "129e6"),
        ("1e-9", "1e-9"),
        ("1E-3", "1E-3"),
        ("1e-10", "1e-9"),
        ("0.0000000001", "1n"),
        ("1n", "1n"),
        ("1Ki", "1Ki"),
        ("+1Ki", "+1Ki"),
        ("01Ki", "01Ki"),
        ("-1Ki", "-1Ki"),
        ("8Ki", "8Ki"),
        ("2048Ki", "2Mi"),
        ("3072Ki", "3Mi"),
        ("1024Mi", "1Gi"),
        ("1025Ki", "1025Ki"),
        ("16331208Ki", "16331208Ki"),
        ("1.5Gi", "1536Mi"),
        ("0.5Ki", "512"),
        ("128974848", "128974848"),
        // More than 18 digits: the slow path, canonical.
        ("0012345678901234567890", "12345678901234567890"),
        ("123456789012345678", "123456789012345678"),
        ("+123456789012345678", "+123456789012345678"),
        ("+1234567890123456789", "1234567890123456789"),
        // Binary fast path: at most 14 - 3 * exponent / 10 digits.
        ("+12345678901Ki", "+12345678901Ki"),
        ("+123456789012Ki", "123456789012Ki"),
        ("+10Ti", "+10Ti"),
        ("+100Ti", "100Ti"),
        ("+1Pi", "1Pi"),
        ("+1Ei", "1Ei"),
    ];
    for (input, want) in cases {
        let parsed = match ParsedQuantity::parse(input) {
            Ok(p) => p,
            Err(e) => panic!("{input:?} should parse: {e}"),
        };
        assert_eq!(parsed.to_string(), *want, "String() of {input:?}");
        assert_eq!(parsed.quantity(), q(input));
        assert_eq!(parsed, ParsedQuantity::from(q(want)));
    }
    assert!(ParsedQuantity::parse("1KB").is_err());
    assert!(ParsedQuantity::parse(" 1").is_err());
}

#[test]
fn parsed_quantity_arithmetic_drops_the_text() {
    let parse = |s: &str| match ParsedQuantity::parse(s) {
        Ok(p) => p,
        Err(e) => panic!("{s:?} should parse: {e}"),
    };
    let mut a = parse("+1");
    assert_eq!(a.to_string(), "+1");
    a.add_saturating(&q("0"));
    assert_eq!(a.to_string(), "1");
    let mut b = parse("1.234k");
    b.add_saturating(&q("1"));
    assert_eq!(b.to_string(), "1235");
    let mut z = ParsedQuantity::from(Quantity::new(0, QuantityFormat::DecimalSi));
    assert_eq!(z.to_string(), "0");
    z.add_saturating(&q("64Mi"));
    assert_eq!(z.to_string(), "64Mi");
    assert!(parse("1") < parse("+2"));
    assert_eq!(parse("1Gi"), parse("1073741824"));
    let mut set = std::collections::HashSet::new();
    set.insert(parse("+1"));
    assert!(set.contains(&parse("1000m")));
    assert_eq!(ParsedQuantity::default().to_string(), "0");
}

#[test]
fn k8s_openapi_conversions() {
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
    let k = K8sQuantity("250m".to_string());
    assert_eq!(
        Quantity::try_from(&k).and_then(|q| q.milli_value()),
        Ok(250)
    );
    let k = K8sQuantity(" 1Gi ".to_string());
    assert_eq!(Quantity::try_from(&k).and_then(|q| q.value()), Ok(1 << 30));
    assert!(Quantity::try_from(&K8sQuantity("1 Gi".to_string())).is_err());
    let back: K8sQuantity = (&q("1024Mi")).into();
    assert_eq!(back.0, "1Gi");
}

proptest! {
    #[test]
    fn parse_never_panics(s in any::<String>()) {
        if let Ok(v) = Quantity::parse(&s) {
            let _ = v.value();
            let _ = v.milli_value();
            let _ = v.to_string();
        }
    }

    #[test]
    fn quantity_like_strings_never_panic(s in "[-+]?[0-9]{0,40}[.]?[0-9]{0,40}[eEinumkKMGTP]{0,3}[-+]?[0-9]{0,12}") {
        if let Ok(v) = Quantity::parse(&s) {
            let _ = v.value();
            let _ = v.milli_value();
            let printed = v.to_string();
            // The canonical form always parses back to the same value.
            prop_assert_eq!(Quantity::parse(&printed).ok(), Some(v));
        }
    }

    #[test]
    fn the_plain_shape_parses_as_the_general_parser_does(
        digits in "[0-9]{1,19}",
        suffix in prop::sample::select(vec![
            "", "n", "u", "m", "k", "M", "G", "T", "P", "E",
            "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "e3", "x",
        ]),
    ) {
        let s = format!("{digits}{suffix}");
        if let Some(plain) = Quantity::parse_plain(&s) {
            prop_assert_eq!(Ok(plain), Quantity::parse_general(&s));
        }
    }

    #[test]
    fn integers_round_trip(n in any::<i64>()) {
        let v = q(&n.to_string());
        prop_assert_eq!(v.value(), Ok(n));
        prop_assert_eq!(v.to_string().parse::<Quantity>().ok(), Some(v));
        prop_assert_eq!(parse_bytes(&v.to_string()), Ok(n));
    }

    #[test]
    fn millis_round_trip(n in -9_000_000_000_000i64..9_000_000_000_000) {
        prop_assert_eq!(parse_cpu_millis(&format!("{n}m")), Ok(n));
        prop_assert_eq!(parse_cpu_millis(&Quantity::new_milli(n).to_string()), Ok(n));
    }

    #[test]
    fn binary_round_trip(n in 0i64..8_000_000, suffix in 0usize..4) {
        let s = ["Ki", "Mi", "Gi", "Ti"][suffix];
        let v = q(&format!("{n}{s}"));
        prop_assert_eq!(v.value(), Ok(n << (10 * (suffix + 1))));
        prop_assert_eq!(q(&v.to_string()), v);
    }
}
