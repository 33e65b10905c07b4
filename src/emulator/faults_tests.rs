use super::*;

#[test]
fn counted_faults_come_first_then_rates_drawn_from_the_seed() {
    let faults = Faults {
        burst_429: 1,
        fail_next: 1,
        hang_next: 1,
        ..Faults::default()
    };
    let mut st = FaultState::new(faults, 1);
    let seen: Vec<Option<Fault>> = (0..4).map(|_| st.decide(true).0).collect();
    assert_eq!(
        seen,
        [
            Some(Fault::TooMany(1)),
            Some(Fault::Fail(500)),
            Some(Fault::Hang),
            None
        ]
    );
    let run = |seed| {
        let mut st = FaultState::new(
            Faults {
                fail_rate: 0.5,
                latency_ms: "10..90".parse().unwrap(),
                ..Faults::default()
            },
            seed,
        );
        (0..50).map(|_| st.decide(false)).collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
    let fails = run(7).iter().filter(|(f, _)| f.is_some()).count();
    assert!((10..40).contains(&fails), "{fails}");
    assert!(run(7).iter().all(|(_, d)| (10..=90).contains(d)));
}

#[test]
fn a_late_write_is_drawn_for_writes_only_and_counted_down() {
    let faults = Faults {
        late_write_next: 1,
        late_write_ms: 1_800,
        late_write_mode: LateWriteMode::Drop,
        ..Faults::default()
    };
    let mut st = FaultState::new(faults, 1);
    assert_eq!(st.decide(false).0, None, "a GET is never late");
    let late = LateWrite {
        after_ms: 1_800,
        mode: LateWriteMode::Drop,
    };
    assert_eq!(st.decide(true).0, Some(Fault::Late(late)));
    assert_eq!(st.decide(true).0, None);
    assert!(st.faults.is_quiet(), "only the count made noise");
    let draws = |seed| {
        let rate = Faults {
            late_write_rate: 0.5,
            ..Faults::default()
        };
        let mut st = FaultState::new(rate, seed);
        (0..40).map(|_| st.decide(true).0).collect::<Vec<_>>()
    };
    assert_eq!(draws(3), draws(3), "replayed with the same seed");
    assert_ne!(draws(3), draws(4));
    let too_late = Faults {
        late_write_ms: 600_001,
        ..Faults::default()
    };
    assert!(too_late.problem().unwrap().starts_with("late_write_ms"));
}

#[test]
fn settings_out_of_range_are_named() {
    let bad = Faults {
        drop_rate: 1.5,
        ..Faults::default()
    };
    assert_eq!(
        bad.problem().unwrap(),
        "drop_rate must be a fraction from 0 to 1, not 1.5"
    );
    let bad = Faults {
        fail_status: 404,
        ..Faults::default()
    };
    assert!(bad.problem().unwrap().contains("5xx"));
    assert!(Faults::default().is_quiet());
    assert!(
        !Faults {
            latency_ms: Latency::fixed(1),
            ..Faults::default()
        }
        .is_quiet()
    );
}

#[test]
fn modes_read_and_print_as_hang_and_drop() {
    assert_eq!("hang".parse(), Ok(LateWriteMode::Hang));
    assert_eq!(" DROP ".parse(), Ok(LateWriteMode::Drop));
    assert!(
        "late"
            .parse::<LateWriteMode>()
            .unwrap_err()
            .contains("hang or drop")
    );
    let late = LateWrite {
        after_ms: 5,
        mode: LateWriteMode::Drop,
    };
    assert_eq!(late.label(), "late_write_drop");
    assert_eq!(serde_json::to_value(LateWriteMode::Hang).unwrap(), "hang");
}
