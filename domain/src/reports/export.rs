//! A report as a file: CSV (UTF-8 with a byte-order mark, so Excel opens
//! it as UTF-8; a cell that a spreadsheet would read as a formula is
//! written as text) and XLSX (one sheet per section, Chinese headers,
//! numbers as numbers and the period's days as dates).
//!
//! Both are made from the same rows ([`sections`]), so what the CSV says,
//! the workbook says, and the page shows.
use std::collections::BTreeMap;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::{Figures, Report};
use crate::error::{DomainError, DomainResult};

/// A cell of an exported table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A China calendar day.
    Day(chrono::NaiveDate),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Number(n as f64)
    }
}

impl From<Option<f64>> for Cell {
    fn from(n: Option<f64>) -> Self {
        n.map_or(Cell::Empty, Cell::Number)
    }
}

/// One section of the report: a sheet of the workbook, a block of the CSV.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    pub name: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// Display names for the codes a report counts by.
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub categories: BTreeMap<String, String>,
}

/// What residents call each channel opinions come in by.
pub fn channel_name(code: &str) -> &str {
    match code {
        "web" => "网上提交",
        "import" => "批量导入",
        "crawler" => "网页采集",
        "meeting" => "议事会现场",
        "hotline" => "12345 热线",
        "paper" => "纸质表单",
        other => other,
    }
}

fn overview_rows(f: &Figures) -> Vec<Vec<Cell>> {
    let row = |name: &str, v: Cell| vec![Cell::from(name), v];
    vec![
        row("收到意见", f.opinions.into()),
        row("已公开", f.published.into()),
        row("未通过审核", f.rejected.into()),
        row("已合并", f.merged.into()),
        row("待审核", f.pending.into()),
        row("新议题", f.topics_proposed.into()),
        row("列入议题", f.topics_accepted.into()),
        row("未列入议题", f.topics_rejected.into()),
        row("召开议事会（场）", f.meetings_held.into()),
        row("邀请参会（人次）", f.invited.into()),
        row("现场参会（人次）", f.attended_onsite.into()),
        row("线上参会（人次）", f.attended_online.into()),
        row("共治方案", f.plans.into()),
        row("方案任务", f.tasks.into()),
        row("已完成任务", f.tasks_done.into()),
        row("任务完成率（%）", f.task_completion_pct().into()),
        row("办结事项", f.cases_closed.into()),
        row("按时办结", f.cases_on_time.into()),
        row("按时办结率（%）", f.sla_compliance_pct().into()),
        row("当前超期未办结", f.overdue_open.into()),
        row("居民评价（人次）", f.rating_count().into()),
        row("平均满意度（1–5）", f.rating_average().into()),
        row("不满意占比（%）", f.dissatisfied_pct().into()),
        row("意见到方案（中位天数）", f.median_days_to_plan.into()),
        row("意见到办结（中位天数）", f.median_days_to_resolution.into()),
    ]
}

/// The report's tables, in the order the page shows them.
pub fn sections(r: &Report, names: &Names) -> Vec<Section> {
    let f = &r.figures;
    let mut overview = vec![
        vec![Cell::from("范围"), Cell::from(r.title.clone())],
        vec![Cell::from("开始日期"), Cell::Day(r.period.from)],
        vec![Cell::from("结束日期"), Cell::Day(r.period.to)],
    ];
    if let Some(at) = r.snapshot_at {
        overview.push(vec![
            "月度快照生成于".into(),
            crate::clock::china_time(at).into(),
        ]);
        overview.push(vec!["此后更正：意见".into(), r.corrections.opinions.into()]);
        overview.push(vec![
            "此后更正：议事会".into(),
            r.corrections.meetings.into(),
        ]);
        overview.push(vec!["此后更正：方案".into(), r.corrections.plans.into()]);
    }
    overview.extend(overview_rows(f));
    let mut sources: Vec<Vec<Cell>> = f
        .by_channel
        .iter()
        .map(|(k, v)| vec!["渠道".into(), channel_name(k).into(), (*v).into()])
        .collect();
    sources.extend(f.by_category.iter().map(|(k, v)| {
        let name = names
            .categories
            .get(k)
            .cloned()
            .unwrap_or_else(|| k.clone());
        vec!["类别".into(), name.into(), (*v).into()]
    }));
    let ratings = (1..=5)
        .map(|score| {
            vec![
                Cell::Number(score as f64),
                f.ratings[score as usize - 1].into(),
            ]
        })
        .collect();
    let compare = r
        .communities
        .iter()
        .map(|c| {
            let g = &c.figures;
            vec![
                c.name.clone().into(),
                g.opinions.into(),
                g.published.into(),
                g.topics_accepted.into(),
                g.meetings_held.into(),
                (g.attended_onsite + g.attended_online).into(),
                g.plans.into(),
                g.task_completion_pct().into(),
                g.sla_compliance_pct().into(),
                g.overdue_open.into(),
                g.rating_average().into(),
                g.dissatisfied_pct().into(),
            ]
        })
        .collect();
    let monthly = r
        .monthly
        .iter()
        .map(|m| {
            vec![
                m.month.clone().into(),
                m.opinions.into(),
                m.meetings_held.into(),
                m.plans.into(),
                m.ratings.into(),
                m.rating_average.into(),
            ]
        })
        .collect();
    vec![
        Section {
            name: "概览",
            header: vec!["指标", "数值"],
            rows: overview,
        },
        Section {
            name: "来源与类别",
            header: vec!["分组", "名称", "意见数"],
            rows: sources,
        },
        Section {
            name: "满意度分布",
            header: vec!["评分", "人次"],
            rows: ratings,
        },
        Section {
            name: "各社区对比",
            header: vec![
                "社区",
                "收到意见",
                "已公开",
                "列入议题",
                "议事会（场）",
                "参会（人次）",
                "共治方案",
                "任务完成率（%）",
                "按时办结率（%）",
                "超期未办结",
                "平均满意度",
                "不满意占比（%）",
            ],
            rows: compare,
        },
        Section {
            name: "月度趋势",
            header: vec![
                "月份",
                "收到意见",
                "议事会（场）",
                "共治方案",
                "居民评价（人次）",
                "平均满意度",
            ],
            rows: monthly,
        },
    ]
}

/// A text cell as a spreadsheet will read it: one that starts like a
/// formula (`=`, `+`, `-`, `@`, or a tab or carriage return before one)
/// gets a leading apostrophe, so it is shown, never run.
pub fn neutralise(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The report as CSV: a block per section (its name, its header, its rows),
/// a blank line between blocks.
pub fn csv(r: &Report, names: &Names) -> DomainResult<Vec<u8>> {
    let mut out = Vec::from(b"\xEF\xBB\xBF".as_slice());
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        let fail = |e: csv::Error| DomainError::Internal(format!("writing CSV: {e}"));
        for (i, s) in sections(r, names).into_iter().enumerate() {
            if i > 0 {
                w.write_record([""]).map_err(fail)?;
            }
            w.write_record([s.name]).map_err(fail)?;
            w.write_record(&s.header).map_err(fail)?;
            for row in s.rows {
                let cells: Vec<String> = row
                    .iter()
                    .map(|c| match c {
                        Cell::Text(t) => neutralise(t),
                        Cell::Number(n) => number_text(*n),
                        Cell::Day(d) => d.format("%Y-%m-%d").to_string(),
                        Cell::Empty => String::new(),
                    })
                    .collect();
                w.write_record(&cells).map_err(fail)?;
            }
        }
        w.flush()
            .map_err(|e| DomainError::Internal(format!("writing CSV: {e}")))?;
    }
    Ok(out)
}

/// The report as an XLSX workbook, a sheet per section.
pub fn xlsx(r: &Report, names: &Names) -> DomainResult<Vec<u8>> {
    workbook(&sections(r, names))
}

/// Sections as an XLSX workbook, a sheet each: a bold header row frozen
/// above, text always as text (never a formula), days as dates.
pub fn workbook(sections: &[Section]) -> DomainResult<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| DomainError::Internal(format!("writing XLSX: {e}"));
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color("#F3E3DF")
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let decimal = Format::new().set_num_format("0.0");
    for s in sections {
        let ws = wb.add_worksheet();
        ws.set_name(s.name).map_err(fail)?;
        for (c, h) in s.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &header)
                .map_err(fail)?;
            ws.set_column_width(c as u16, if c == 0 { 24 } else { 14 })
                .map_err(fail)?;
        }
        ws.set_freeze_panes(1, 0).map_err(fail)?;
        for (i, row) in s.rows.iter().enumerate() {
            let at = i as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    // Written as a string cell, never parsed as a formula.
                    Cell::Text(t) => ws.write_string(at, c, t).map(|_| ()),
                    Cell::Number(n) if n.fract() != 0.0 => {
                        ws.write_number_with_format(at, c, *n, &decimal).map(|_| ())
                    }
                    Cell::Number(n) => ws.write_number(at, c, *n).map(|_| ()),
                    Cell::Day(d) => {
                        use chrono::Datelike;
                        let when = ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )
                        .map_err(fail)?;
                        ws.write_datetime_with_format(at, c, &when, &day)
                            .map(|_| ())
                    }
                    Cell::Empty => Ok(()),
                }
                .map_err(fail)?;
            }
        }
    }
    wb.save_to_buffer().map_err(fail)
}
