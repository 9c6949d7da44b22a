//! Inline SVG charts, drawn with plotters' SVG backend.

use plotters::prelude::*;

const BLUE_: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// Runs `draw` on an SVG drawing area of `size` and returns the SVG text; a drawing error
/// becomes an empty string (the report then shows no chart rather than failing).
fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> Result<(), String>,
) -> String {
    let mut out = String::new();
    let ok = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(|e| e.to_string()))
            .is_ok()
    };
    if ok {
        out
    } else {
        String::new()
    }
}

/// A small histogram without axes, for the profile table.
pub fn sparkline(counts: &[usize]) -> String {
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    svg((120, 28), |root| {
        let mut chart = ChartBuilder::on(root)
            .build_cartesian_2d(0f64..counts.len() as f64, 0f64..max)
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &c)| {
                Rectangle::new(
                    [(i as f64 + 0.1, 0.0), (i as f64 + 0.9, c as f64)],
                    BLUE_.filled(),
                )
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// A histogram with axes: bins given by `edges` (one more than `counts`).
pub fn histogram(title: &str, x_label: &str, edges: &[f64], counts: &[usize]) -> String {
    let (Some(&lo), Some(&hi)) = (edges.first(), edges.last()) else {
        return String::new();
    };
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    svg((420, 280), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(lo..hi, 0f64..max * 1.05)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc("rows")
            .x_labels(6)
            .y_labels(5)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &c)| {
                Rectangle::new(
                    [(edges[i], 0.0), (edges[i + 1], c as f64)],
                    BLUE_.mix(0.8).filled(),
                )
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// A scatter plot of `points`, with the line y = x when `diagonal`, or y = 0 otherwise.
pub fn scatter(
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[(f64, f64)],
    diagonal: bool,
) -> String {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let bounds = |values: &mut dyn Iterator<Item = f64>| {
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
    };
    let (mut x0, mut x1) = bounds(&mut finite.iter().map(|p| p.0));
    let (mut y0, mut y1) = bounds(&mut finite.iter().map(|p| p.1));
    if diagonal {
        (x0, x1) = (x0.min(y0), x1.max(y1));
        (y0, y1) = (x0, x1);
    }
    if finite.is_empty() || x0 >= x1 || y0 >= y1 {
        return String::new();
    }
    let pad = |lo: f64, hi: f64| (hi - lo) * 0.03;
    let (px, py) = (pad(x0, x1), pad(y0, y1));
    svg((420, 320), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(x0 - px..x1 + px, y0 - py..y1 + py)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(6)
            .y_labels(6)
            .draw()
            .map_err(|e| e.to_string())?;
        let line = if diagonal {
            vec![(x0, x0), (x1, x1)]
        } else {
            vec![(x0 - px, 0.0), (x1 + px, 0.0)]
        };
        chart
            .draw_series(LineSeries::new(line, GREY.stroke_width(1)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(
                finite
                    .iter()
                    .map(|&p| Circle::new(p, 2, BLUE_.mix(0.45).filled())),
            )
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// Horizontal bars, one per label, largest first as given; negative values drawn leftwards.
pub fn bars(title: &str, labels: &[String], values: &[f64]) -> String {
    let n = labels.len().min(values.len());
    if n == 0 {
        return String::new();
    }
    let lo = values[..n].iter().copied().fold(0.0, f64::min);
    let hi = values[..n].iter().copied().fold(0.0, f64::max);
    if lo == hi {
        return String::new();
    }
    let height = 60 + 22 * n as u32;
    let labels: Vec<String> = labels[..n].to_vec();
    svg((520, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(170)
            .build_cartesian_2d(lo..hi * 1.05 + f64::EPSILON, (0..n).into_segmented())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => (n - 1)
                    .checked_sub(*i)
                    .and_then(|j| labels.get(j))
                    .map(|l| l.chars().take(26).collect())
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .x_labels(5)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(values[..n].iter().enumerate().map(|(i, &v)| {
                let row = n - 1 - i;
                let color = if v < 0.0 { GREY } else { BLUE_ };
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(row)),
                        (v, SegmentValue::Exact(row + 1)),
                    ],
                    color.mix(0.8).filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                bar
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// Line colours of several series (Tableau 10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];

/// ROC curves: each a labelled line of (false positive rate, true positive rate) points, over
/// the diagonal of chance. One curve is drawn in blue without a legend; several get a legend.
pub fn roc(title: &str, curves: &[(String, Vec<(f64, f64)>)]) -> String {
    if curves.is_empty() {
        return String::new();
    }
    svg((440, 420), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(-0.01f64..1.01, -0.01f64..1.01)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("false positive rate")
            .y_desc("true positive rate")
            .x_labels(6)
            .y_labels(6)
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                GREY.stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
        let single = curves.len() == 1;
        for (i, (label, points)) in curves.iter().enumerate() {
            let colour = if single {
                BLUE_
            } else {
                PALETTE[i % PALETTE.len()]
            };
            let series = chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
            if !single {
                series.label(label.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            }
        }
        if !single {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.85))
                .border_style(GREY)
                .label_font(("sans-serif", 12))
                .draw()
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// Columns of the rows of each class, labelled below; horizontal [`bars`] for many classes.
pub fn class_counts(title: &str, labels: &[String], counts: &[usize]) -> String {
    let n = labels.len().min(counts.len());
    let max = counts[..n].iter().copied().max().unwrap_or(0);
    if n == 0 || max == 0 {
        return String::new();
    }
    if !(2..=12).contains(&n) {
        let values: Vec<f64> = counts[..n].iter().map(|&c| c as f64).collect();
        return bars(title, &labels[..n], &values);
    }
    // Labels shortened to fit under their column.
    let width = (48 / n).max(4);
    let labels: Vec<String> = labels[..n]
        .iter()
        .map(|l| l.chars().take(width).collect())
        .collect();
    svg((420, 280), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..max as f64 * 1.05)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_desc("rows")
            .y_labels(5)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(counts[..n].iter().enumerate().map(|(i, &c)| {
                let mut column = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), c as f64),
                    ],
                    BLUE_.mix(0.8).filled(),
                );
                column.set_margin(0, 0, 6, 6);
                column
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// A step line of `points` (x, y) with dots at each: the search's best score after each round.
pub fn trace(title: &str, x_label: &str, y_label: &str, points: &[(f64, f64)]) -> String {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if finite.len() < 2 {
        return String::new();
    }
    let (x_max, (y_min, y_max)) = (
        finite.iter().map(|p| p.0).fold(0.0, f64::max),
        finite
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p.1), hi.max(p.1))
            }),
    );
    let pad = ((y_max - y_min) * 0.1).max(y_max.abs() * 1e-6).max(1e-12);
    svg((560, 320), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max * 1.02, (y_min - pad)..(y_max + pad))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(6)
            .y_labels(6)
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(|e| e.to_string())?;
        let steps: Vec<(f64, f64)> = finite
            .windows(2)
            .flat_map(|w| [w[0], (w[1].0, w[0].1)])
            .chain(finite.last().copied())
            .collect();
        chart
            .draw_series(LineSeries::new(steps, BLUE_.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(finite.iter().map(|&p| Circle::new(p, 3, BLUE_.filled())))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// Two distributions side by side: per label, the reference's share (grey) and the new data's
/// (blue), with a legend.
pub fn paired_shares(title: &str, labels: &[String], reference: &[f64], current: &[f64]) -> String {
    let n = labels.len().min(reference.len()).min(current.len());
    if n == 0 {
        return String::new();
    }
    let hi = reference[..n]
        .iter()
        .chain(&current[..n])
        .copied()
        .fold(0.0, f64::max)
        .max(f64::EPSILON);
    let step = n.div_ceil(6);
    svg((460, 260), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(44)
            .build_cartesian_2d((0..n).into_segmented(), 0.0..hi * 1.1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if i % step == 0 => labels
                    .get(*i)
                    .map(|l| l.chars().take(10).collect())
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .y_desc("share")
            .draw()
            .map_err(|e| e.to_string())?;
        for (series, (values, color, name)) in
            [(reference, GREY, "reference"), (current, BLUE_, "new data")]
                .into_iter()
                .enumerate()
        {
            // Each label's segment: a tenth free, the reference, the new data, a tenth free.
            let segment = (460 - 44 - 16) as f64 / n as f64;
            let (outer, inner) = ((segment * 0.1) as u32, (segment * 0.5) as u32);
            let (left, right) = if series == 0 {
                (outer, inner)
            } else {
                (inner, outer)
            };
            chart
                .draw_series(values[..n].iter().enumerate().map(|(i, &v)| {
                    let mut bar = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), 0.0),
                            (SegmentValue::Exact(i + 1), v),
                        ],
                        color.mix(0.85).filled(),
                    );
                    bar.set_margin(0, 0, left, right);
                    bar
                }))
                .map_err(|e| e.to_string())?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(GREY)
            .draw()
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}
