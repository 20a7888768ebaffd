//! Writing a run down: a progress line per day on the terminal, the summary as text or JSON,
//! the daily table as CSV, and one SVG picture of the run (`docs/stress.md` shows them).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::report::{DayRow, Report, Summary};

const E12: f64 = 1e12;

/// Base units (6 decimals) as whole tokens, e.g. 1,234,567.
fn whole(units: u64) -> String {
    let s = (units / 1_000_000).to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A large amount of whole tokens in a few characters: 1.8M, 250k, 900.
fn short(v: f64) -> String {
    match v.abs() {
        a if a >= 1e6 => format!("{:.1}M", v / 1e6),
        a if a >= 1e3 => format!("{:.0}k", v / 1e3),
        _ => format!("{v:.0}"),
    }
}

/// Basis points as a percentage with two decimals, e.g. 9,950 → "99.50 %".
pub fn percent(bps: i64) -> String {
    let sign = if bps < 0 { "-" } else { "" };
    let b = bps.unsigned_abs();
    format!("{sign}{}.{:02} %", b / 100, b % 100)
}

/// One line per day for the terminal while the run goes.
pub fn progress_line(row: &DayRow, days: u32) -> String {
    format!(
        "day {:>3}/{days}  {:<7} NAV {:>13}  asked {:>11}  paid {:>11}  queued {:>11}  limit {:>12}  senior {:.4}  market {:>8}",
        row.day,
        row.stage,
        whole(row.nav),
        whole(row.requested),
        whole(row.paid.total()),
        whole(row.queued),
        whole(row.limit),
        row.prices_e12[0] as f64 / E12,
        if row.market_price_e12 == 0 { "-".to_string() } else { percent(-row.market_discount_bps) },
    )
}

/// The summary as an issuer reads it.
pub fn summary_text(s: &Summary) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "Stress run '{}' over {} days", s.scenario, s.days);
    let _ = writeln!(t, "  requested       {:>14}", whole(s.requested));
    let _ = writeln!(
        t,
        "  held by subordination: {}  (waiting at the end; paying it would break a tranche's minimum subordination)",
        whole(s.held_by_subordination)
    );
    let _ = writeln!(
        t,
        "  paid            {:>14}  (vault {}, reserve {}, market {}, basket {})",
        whole(s.paid.total()),
        whole(s.paid.vault),
        whole(s.paid.reserve),
        whole(s.paid.market),
        whole(s.paid.basket)
    );
    let _ = writeln!(
        t,
        "  efficiency      {:>14}  (paid ÷ min(requested less held, liquidity limit))",
        percent(s.efficiency_bps as i64)
    );
    let [d1, d3, d7, d30] = s.paid_by_day_bps.map(|b| percent(b as i64));
    let _ = writeln!(t, "  paid by day     1: {d1}   3: {d3}   7: {d7}   30: {d30}");
    let losses: Vec<String> = (0..s.tranches.clamp(1, 3))
        .map(|i| format!("{} {}", crate::scenario::tranche_name(i, s.tranches), percent(s.loss_bps[i as usize])))
        .collect();
    let _ = writeln!(t, "  loss            {}", losses.join("   "));
    let _ = writeln!(
        t,
        "  market          max discount {}   day-7 discount {}   max spread {}   min depth {}",
        percent(s.max_market_discount_bps),
        percent(s.day7_market_discount_bps),
        percent(s.max_spread_bps as i64),
        whole(s.min_depth)
    );
    let stages: Vec<String> = s.stages.iter().map(|(d, st)| format!("day {d}: {st}")).collect();
    let _ = writeln!(
        t,
        "  stages          {}",
        if stages.is_empty() { "Normal throughout".into() } else { stages.join(", ") }
    );
    let _ =
        writeln!(t, "  reserve         spent {}   recovered {}", whole(s.reserve_spent), whole(s.reserve_recovered));
    let _ = writeln!(t, "  transactions    {} ({} by keepers)", s.transactions, s.keeper_txs);
    t
}

/// The daily table, one row per day, amounts in base units, prices ×10¹².
pub fn csv(rows: &[DayRow]) -> String {
    let mut t = String::from(
        "day,stage,nav,cash,price_senior_e12,price_mezzanine_e12,price_junior_e12,requested,paid_vault,paid_reserve,\
         paid_market,paid_basket,queued,limit,held,payable,market_price_e12,market_discount_bps,spread_bps,depth,reserve_balance,\
         reserve_spent,reserve_recovered,defaulted,repaid,keeper_txs\n",
    );
    for r in rows {
        let _ = writeln!(
            t,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.day,
            r.stage,
            r.nav,
            r.cash,
            r.prices_e12[0],
            r.prices_e12[1],
            r.prices_e12[2],
            r.requested,
            r.paid.vault,
            r.paid.reserve,
            r.paid.market,
            r.paid.basket,
            r.queued,
            r.limit,
            r.held,
            r.payable,
            r.market_price_e12,
            r.market_discount_bps,
            r.spread_bps,
            r.depth,
            r.reserve_balance,
            r.reserve_spent,
            r.reserve_recovered,
            r.defaulted,
            r.repaid,
            r.keeper_txs
        );
    }
    t
}

/// What `write` left in the report folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub csv: PathBuf,
    pub summary: PathBuf,
    pub svg: PathBuf,
}

/// Writes `daily.csv`, `summary.json` and `run.svg` into `dir` (created if missing).
pub fn write(report: &Report, dir: &Path) -> Result<Written, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let files = Written { csv: dir.join("daily.csv"), summary: dir.join("summary.json"), svg: dir.join("run.svg") };
    std::fs::write(&files.csv, csv(&report.rows)).map_err(|e| format!("{}: {e}", files.csv.display()))?;
    let json = serde_json::to_string_pretty(&report.summary).map_err(|e| e.to_string())?;
    std::fs::write(&files.summary, json + "\n").map_err(|e| format!("{}: {e}", files.summary.display()))?;
    std::fs::write(&files.svg, svg(report)?).map_err(|e| format!("{}: {e}", files.svg.display()))?;
    Ok(files)
}

/// Fill colour of a stage band.
fn stage_colour(stage: &str) -> RGBAColor {
    match stage {
        "Stress" => RGBColor(255, 190, 60).mix(0.18),
        "Crisis" => RGBColor(220, 40, 40).mix(0.18),
        _ => WHITE.mix(0.0),
    }
}

/// The run at a glance: NAV and tranche prices; cumulative payouts stacked by source against
/// the liquidity limit and the queue; the market's discount to NAV. Stage bands shade all
/// three panels.
pub fn svg(report: &Report) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (1000, 900)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let title = format!("Sluice stress run: {}", report.summary.scenario);
        let root = root.titled(&title, ("sans-serif", 22)).map_err(|e| e.to_string())?;
        let panels = root.split_evenly((3, 1));
        let rows = &report.rows;
        let last = rows.last().map(|r| r.day).unwrap_or(1).max(1);
        // Each day's band is centred on its reading.
        let days = 0.5f64..last as f64 + 0.5;
        // A day's stage band, spanning a panel from `lo` to `hi`.
        let bands = |lo: f64, hi: f64| {
            rows.iter().map(move |r| {
                Rectangle::new([(r.day as f64 - 0.5, lo), (r.day as f64 + 0.5, hi)], stage_colour(&r.stage).filled())
            })
        };

        // 1. Prices.
        let (lo, hi) = rows
            .iter()
            .flat_map(|r| r.prices_e12.iter().map(|p| *p as f64 / E12))
            .fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p), hi.max(p)));
        let (lo, hi) = if lo > hi { (0.0, 1.0) } else { (lo * 0.98, hi * 1.02) };
        let mut chart = ChartBuilder::on(&panels[0])
            .caption(
                "tranche prices (base per token) by day; stage bands: Stress amber, Crisis red",
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(25)
            .y_label_area_size(60)
            .build_cartesian_2d(days.clone(), lo..hi)
            .map_err(|e| e.to_string())?;
        chart.configure_mesh().x_label_formatter(&|d| format!("{d:.0}")).draw().map_err(|e| e.to_string())?;
        chart.draw_series(bands(lo, hi)).map_err(|e| e.to_string())?;
        for (i, (name, colour)) in [("senior", BLUE), ("mezzanine", GREEN), ("junior", RED)].into_iter().enumerate() {
            chart
                .draw_series(LineSeries::new(rows.iter().map(|r| (r.day as f64, r.prices_e12[i] as f64 / E12)), colour))
                .map_err(|e| e.to_string())?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).draw().map_err(|e| e.to_string())?;

        // 2. Cumulative exits by source against the limit; the queue.
        let mut cum = [0u64; 4];
        let stacked: Vec<(f64, [f64; 4])> = rows
            .iter()
            .map(|r| {
                cum[0] += r.paid.vault;
                cum[1] += r.paid.reserve;
                cum[2] += r.paid.market;
                cum[3] += r.paid.basket;
                let m = |v: u64| v as f64 / 1e6;
                (r.day as f64, [m(cum[0]), m(cum[0] + cum[1]), m(cum[0] + cum[1] + cum[2]), m(cum.iter().sum())])
            })
            .collect();
        let top = rows
            .iter()
            .map(|r| r.limit.max(r.queued))
            .chain(std::iter::once(cum.iter().sum()))
            .max()
            .unwrap_or(1)
            .max(1) as f64
            / 1e6
            * 1.05;
        let mut chart = ChartBuilder::on(&panels[1])
            .caption("exits paid (cumulative, by source) against the liquidity limit", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(25)
            .y_label_area_size(60)
            .build_cartesian_2d(days.clone(), 0f64..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .y_desc("base tokens")
            .y_label_formatter(&|v| short(*v))
            .x_label_formatter(&|d| format!("{d:.0}"))
            .draw()
            .map_err(|e| e.to_string())?;
        chart.draw_series(bands(0.0, top)).map_err(|e| e.to_string())?;
        let sources = [
            ("vault", RGBColor(70, 130, 180)),
            ("reserve", RGBColor(120, 90, 170)),
            ("market", RGBColor(60, 170, 110)),
            ("basket", RGBColor(200, 150, 50)),
        ];
        for (k, (name, colour)) in sources.into_iter().enumerate().rev() {
            chart
                .draw_series(
                    AreaSeries::new(stacked.iter().map(|(d, s)| (*d, s[k])), 0.0, colour.mix(0.6)).border_style(colour),
                )
                .map_err(|e| e.to_string())?
                .label(format!("paid: {name}"))
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], colour.filled()));
        }
        chart
            .draw_series(LineSeries::new(
                rows.iter().map(|r| (r.day as f64, r.limit as f64 / 1e6)),
                BLACK.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label("liquidity limit")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                rows.iter().map(|r| (r.day as f64, r.queued as f64 / 1e6)),
                RED.stroke_width(1),
            ))
            .map_err(|e| e.to_string())?
            .label("queued")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .draw()
            .map_err(|e| e.to_string())?;

        // 3. Market discount to NAV.
        let worst = rows.iter().map(|r| r.market_discount_bps).fold(0i64, i64::max).max(100) as f64 / 100.0 * 1.1;
        let best = rows.iter().map(|r| r.market_discount_bps).fold(0i64, i64::min) as f64 / 100.0 * 1.1;
        let mut chart = ChartBuilder::on(&panels[2])
            .caption("senior market: discount to NAV (%)", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(25)
            .y_label_area_size(60)
            .build_cartesian_2d(days, best.min(0.0)..worst)
            .map_err(|e| e.to_string())?;
        chart.configure_mesh().x_label_formatter(&|d| format!("{d:.0}")).draw().map_err(|e| e.to_string())?;
        chart.draw_series(bands(best.min(0.0), worst)).map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                rows.iter()
                    .filter(|r| r.market_price_e12 > 0)
                    .map(|r| (r.day as f64, r.market_discount_bps as f64 / 100.0)),
                BLUE.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::PaidBySource;

    fn rows() -> Vec<DayRow> {
        (1..=10u32)
            .map(|d| DayRow {
                day: d,
                nav: 10_000_000_000_000 - d as u64 * 1_000_000_000,
                prices_e12: [1_000_000_000_000, 990_000_000_000, 950_000_000_000 - d as u128 * 10_000_000_000],
                requested: 100_000_000_000,
                paid: PaidBySource {
                    vault: 60_000_000_000,
                    reserve: 20_000_000_000,
                    market: 10_000_000_000,
                    basket: 0,
                },
                queued: 50_000_000_000,
                limit: d as u64 * 120_000_000_000,
                held: if d > 8 { 7_000_000_000 } else { 0 },
                payable: d as u64 * 100_000_000_000 - if d > 8 { 7_000_000_000 } else { 0 },
                stage: if (3..6).contains(&d) { "Stress".into() } else { "Normal".into() },
                market_price_e12: 980_000_000_000,
                market_discount_bps: 200,
                ..DayRow::default()
            })
            .collect()
    }

    #[test]
    fn amounts_read_as_whole_tokens_and_percentages() {
        assert_eq!(whole(1_234_567_000_000), "1,234,567");
        assert_eq!(whole(999_999), "0");
        assert_eq!(percent(9_950), "99.50 %");
        assert_eq!(percent(-25), "-0.25 %");
        assert_eq!((short(1_800_000.0), short(250_000.0), short(900.0)), ("1.8M".into(), "250k".into(), "900".into()));
    }

    #[test]
    fn the_csv_has_a_header_and_a_line_per_day_with_every_field() {
        let text = csv(&rows());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 11);
        let fields = lines[0].split(',').count();
        assert!(lines.iter().all(|l| l.split(',').count() == fields), "every line has {fields} fields");
        assert!(lines[4].starts_with("4,Stress,"), "{}", lines[4]);
        // Every row reads under its header's name, the subordination figures among them.
        let header: Vec<&str> = lines[0].split(',').collect();
        let field = |line: &str, name: &str| {
            let at = header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
            line.split(',').nth(at).expect("a field").to_string()
        };
        assert_eq!(field(lines[10], "queued"), "50000000000");
        assert_eq!(field(lines[10], "limit"), "1200000000000");
        assert_eq!(field(lines[10], "held"), "7000000000");
        assert_eq!(field(lines[10], "payable"), "993000000000");
        assert_eq!(field(lines[8], "held"), "0");
        assert_eq!(field(lines[10], "keeper_txs"), "0");
    }

    #[test]
    fn the_picture_draws_every_panel_and_the_stage_bands() {
        let report =
            Report { rows: rows(), summary: Summary { scenario: "unit".into(), days: 10, ..Summary::default() } };
        let svg = svg(&report).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        for caption in ["tranche prices", "exits paid", "discount to NAV", "liquidity limit", "paid: reserve"] {
            assert!(svg.contains(caption), "missing {caption}");
        }
        // Three days of Stress shade each of the three panels.
        assert!(svg.matches("fill=\"#FFBE3C\"").count() >= 9, "stress bands missing");
    }

    #[test]
    fn a_report_folder_holds_the_table_the_summary_and_the_picture() {
        let report =
            Report { rows: rows(), summary: Summary { scenario: "unit".into(), days: 10, ..Summary::default() } };
        let dir = tempfile::tempdir().unwrap();
        let written = write(&report, &dir.path().join("out")).unwrap();
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&written.summary).unwrap()).unwrap();
        assert_eq!(summary["scenario"], "unit");
        assert_eq!(std::fs::read_to_string(&written.csv).unwrap().lines().count(), 11);
        assert!(std::fs::read_to_string(&written.svg).unwrap().contains("</svg>"));
    }
}
