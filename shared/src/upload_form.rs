//! Uploads brought to the form of a data set's images: an image as people make it (a photo of
//! dark ink on tinted paper, small and off-centre; a font-rendered digit) made to look like what
//! the model was trained on, before the studio's sliders or `/predict` see it.
//!
//! The forms follow the data sets' own recipes. MNIST: each digit's ink was scaled, keeping its
//! aspect ratio, to fit a 20 × 20 box, then placed in the 28 × 28 frame so that its centre of
//! mass is the frame's centre ([`UploadForm::CentredByMass`]). Fashion-MNIST: each product was
//! trimmed, its longer side scaled to the frame's and centred ([`UploadForm::FilledFrame`]).
//! Both store light content on a dark ground. Before either, the upload's polarity is read from
//! its border (a light border means dark ink on light paper: inverted), the border's level is
//! taken as the background and the brightest content as full ink, and what stays within
//! [`FAINT`] of the background (paper texture, shadows) is cleared.

use image::{ImageBuffer, Luma, imageops, imageops::FilterType};
use serde::{Deserialize, Serialize};

/// How an upload is brought to a data set's form (a property of the model's input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UploadForm {
    /// Resized to the input's size and nothing else (photographs, RGB data, folders).
    #[default]
    Resize,
    /// MNIST's recipe: light ink on dark, cropped to the ink, scaled keeping its aspect ratio to
    /// fit a `box_side` square, placed with its centre of mass at the frame's centre.
    CentredByMass {
        /// Side of the square the ink is scaled into (20 for MNIST's 28 × 28).
        box_side: usize,
    },
    /// Fashion-MNIST's recipe: light content on dark, cropped to it, its longer side scaled to
    /// the frame's, centred by its bounding box.
    FilledFrame,
}

impl UploadForm {
    /// One line for people: what is done to an upload.
    pub fn describe(&self) -> String {
        match self {
            Self::Resize => "resized to the input's size".into(),
            Self::CentredByMass { box_side } => format!(
                "as MNIST's digits: light on dark, the ink scaled into a {box_side}×{box_side} box and centred by its centre of mass"
            ),
            Self::FilledFrame => {
                "as Fashion-MNIST's products: light on dark, the content scaled to fill the frame and centred".into()
            }
        }
    }
}

/// Values within this fraction of the ink's range above the background are cleared (on the
/// photo-like digits of `bench/uploads.sh`, an uneven light reaches ±12 % of the range).
pub const FAINT: f32 = 0.25;
/// The least contrast (ink level minus background, values in `[0, 1]`) an upload needs.
pub const MIN_CONTRAST: f32 = 0.1;
/// Longer side an upload is first reduced to (area averaging) when it is larger.
pub const WORKING_SIDE: u32 = 256;

/// A gray image, values in `[0, 1]`, row-major.
pub type Gray = ImageBuffer<Luma<f32>, Vec<f32>>;

/// An upload in a data set's form, and what was done to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Formed {
    /// `height × width` values in `[0, 1]`, row-major.
    pub values: Vec<f32>,
    /// Whether the upload was dark on light (and so inverted).
    pub inverted: bool,
    /// The content's bounding box in the (reduced) upload: top, left, height, width.
    pub content: [usize; 4],
}

/// Why an upload cannot be brought to the form.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormError {
    /// Nothing stands out from the background.
    #[error(
        "the image looks blank: nothing in it differs from its background by more than {MIN_CONTRAST} (draw or photograph the digit with more contrast)"
    )]
    Blank,
}

/// `gray` brought to `form` in a `height × width` frame (for [`UploadForm::Resize`], resized
/// and nothing else).
pub fn bring(
    gray: &Gray,
    form: UploadForm,
    height: usize,
    width: usize,
) -> Result<Formed, FormError> {
    let gray = reduce(gray);
    if form == UploadForm::Resize {
        let resized = imageops::resize(&gray, width as u32, height as u32, FilterType::Triangle);
        let (w, h) = gray.dimensions();
        return Ok(Formed {
            values: resized.into_raw(),
            inverted: false,
            content: [0, 0, h as usize, w as usize],
        });
    }
    let (ink, inverted) = ink_of(&gray)?;
    let content = bounding_box(&ink).ok_or(FormError::Blank)?;
    let [top, left, rows, cols] = content;
    let cropped =
        imageops::crop_imm(&ink, left as u32, top as u32, cols as u32, rows as u32).to_image();
    let longer = rows.max(cols) as f32;
    let fit = |side: usize| -> (u32, u32) {
        let scale = side as f32 / longer;
        (
            ((cols as f32 * scale).round() as u32).max(1),
            ((rows as f32 * scale).round() as u32).max(1),
        )
    };
    let values = match form {
        UploadForm::CentredByMass { box_side } => {
            let (w, h) = fit(box_side.min(height).min(width));
            let scaled = imageops::resize(&cropped, w, h, FilterType::Triangle);
            let (cy, cx) = centre_of_mass(&scaled);
            let top = (height as f32 / 2.0 - cy).round() as i64;
            let left = (width as f32 / 2.0 - cx).round() as i64;
            paste(&scaled, height, width, top, left)
        }
        UploadForm::FilledFrame => {
            let (w, h) = fit(height.min(width));
            let scaled = imageops::resize(&cropped, w, h, FilterType::Triangle);
            let top = (height as i64 - i64::from(h)) / 2;
            let left = (width as i64 - i64::from(w)) / 2;
            paste(&scaled, height, width, top, left)
        }
        UploadForm::Resize => unreachable!("handled above"),
    };
    Ok(Formed {
        values,
        inverted,
        content,
    })
}

/// `gray` with its longer side reduced to [`WORKING_SIDE`] when larger (area averaging).
fn reduce(gray: &Gray) -> Gray {
    let (w, h) = gray.dimensions();
    let longer = w.max(h);
    if longer <= WORKING_SIDE {
        return gray.clone();
    }
    let scale = WORKING_SIDE as f32 / longer as f32;
    let size = |side: u32| ((side as f32 * scale).round() as u32).max(1);
    imageops::resize(gray, size(w), size(h), FilterType::Triangle)
}

/// The median of the values on `gray`'s border (a ring 1/16 of the shorter side wide, at least
/// one pixel).
pub fn border_level(gray: &Gray) -> f32 {
    let (w, h) = gray.dimensions();
    let ring = (w.min(h) / 16).max(1);
    let mut values: Vec<f32> = gray
        .enumerate_pixels()
        .filter(|(x, y, _)| *x < ring || *y < ring || *x >= w - ring || *y >= h - ring)
        .map(|(_, _, p)| p.0[0])
        .collect();
    values.sort_by(f32::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// The ink of `gray` as light on dark in `[0, 1]`: inverted when its border is light, the
/// border's level as 0, the 90th percentile of the values standing out from it by more than
/// [`MIN_CONTRAST`] as 1, values within [`FAINT`] of the background cleared; and whether it was
/// inverted.
fn ink_of(gray: &Gray) -> Result<(Gray, bool), FormError> {
    let inverted = border_level(gray) > 0.5;
    let mut ink = gray.clone();
    if inverted {
        ink.pixels_mut().for_each(|p| p.0[0] = 1.0 - p.0[0]);
    }
    let background = border_level(&ink);
    // Full ink: the 90th percentile of the values that stand out from the background (a digit
    // may cover 1 % of a photo, so a percentile over every pixel would land on its edges).
    let mut standing: Vec<f32> = ink
        .pixels()
        .map(|p| p.0[0])
        .filter(|&v| v - background > MIN_CONTRAST)
        .collect();
    if standing.is_empty() {
        return Err(FormError::Blank);
    }
    standing.sort_by(f32::total_cmp);
    let peak = standing[(standing.len() - 1) * 9 / 10];
    ink.pixels_mut().for_each(|p| {
        let level = (p.0[0] - background) / (peak - background);
        p.0[0] = ((level - FAINT) / (1.0 - FAINT)).clamp(0.0, 1.0);
    });
    Ok((ink, inverted))
}

/// The bounding box (top, left, height, width) of `ink`'s non-zero values; `None` when all
/// are zero.
fn bounding_box(ink: &Gray) -> Option<[usize; 4]> {
    let (mut top, mut left, mut bottom, mut right) = (usize::MAX, usize::MAX, 0, 0);
    for (x, y, p) in ink.enumerate_pixels() {
        if p.0[0] > 0.0 {
            let (x, y) = (x as usize, y as usize);
            top = top.min(y);
            left = left.min(x);
            bottom = bottom.max(y);
            right = right.max(x);
        }
    }
    (top != usize::MAX).then(|| [top, left, bottom - top + 1, right - left + 1])
}

/// The centre of mass (row, column) of `image`, pixel centres at half-integers (a single lit
/// pixel at (0, 0) has its mass at (0.5, 0.5)).
pub fn centre_of_mass(image: &Gray) -> (f32, f32) {
    let (mut mass, mut rows, mut cols) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y, p) in image.enumerate_pixels() {
        let v = f64::from(p.0[0]);
        mass += v;
        rows += v * (f64::from(y) + 0.5);
        cols += v * (f64::from(x) + 0.5);
    }
    if mass <= 0.0 {
        let (w, h) = image.dimensions();
        return (h as f32 / 2.0, w as f32 / 2.0);
    }
    ((rows / mass) as f32, (cols / mass) as f32)
}

/// `patch` placed in a zero `height × width` frame with its top-left corner at (`top`,
/// `left`), clipped to the frame.
fn paste(patch: &Gray, height: usize, width: usize, top: i64, left: i64) -> Vec<f32> {
    let mut frame = vec![0.0; height * width];
    for (x, y, p) in patch.enumerate_pixels() {
        let (row, col) = (top + i64::from(y), left + i64::from(x));
        if (0..height as i64).contains(&row) && (0..width as i64).contains(&col) {
            frame[row as usize * width + col as usize] = p.0[0];
        }
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `side × side` image of `background` with `[top, left, rows, cols]` set to `ink`.
    fn image(side: u32, background: f32, ink: f32, rect: [u32; 4]) -> Gray {
        let [top, left, rows, cols] = rect;
        Gray::from_fn(side, side, |x, y| {
            let inside = (top..top + rows).contains(&y) && (left..left + cols).contains(&x);
            Luma([if inside { ink } else { background }])
        })
    }

    fn gray_of(values: &[f32], side: u32) -> Gray {
        Gray::from_raw(side, side, values.to_vec()).expect("sized")
    }

    /// A 6 × 6 square in the top-left corner of a 56 × 56 image lands as a 20 × 20 square
    /// whose centre of mass is the 28 × 28 frame's centre: rows and columns 4..24, full ink.
    #[test]
    fn an_off_centre_square_lands_centred() {
        let upload = image(56, 0.0, 1.0, [2, 3, 6, 6]);
        let formed =
            bring(&upload, UploadForm::CentredByMass { box_side: 20 }, 28, 28).expect("formed");
        assert!(!formed.inverted);
        assert_eq!(formed.content, [2, 3, 6, 6]);
        for row in 0..28 {
            for col in 0..28 {
                let inside = (4..24).contains(&row) && (4..24).contains(&col);
                let value = formed.values[row * 28 + col];
                assert!(
                    (value - if inside { 1.0 } else { 0.0 }).abs() < 1e-5,
                    "({row}, {col}): {value}"
                );
            }
        }
        let (cy, cx) = centre_of_mass(&gray_of(&formed.values, 28));
        assert!(
            (cy - 14.0).abs() < 1e-4 && (cx - 14.0).abs() < 1e-4,
            "{cy}, {cx}"
        );
    }

    /// Dark ink on light, tinted paper reads as the same light-on-dark digit.
    #[test]
    fn dark_ink_on_light_paper_is_inverted() {
        let formed = |upload: Gray| {
            bring(&upload, UploadForm::CentredByMass { box_side: 20 }, 28, 28).expect("formed")
        };
        let light = formed(image(40, 0.0, 1.0, [10, 20, 12, 5]));
        let paper = formed(image(40, 0.85, 0.1, [10, 20, 12, 5]));
        assert!(paper.inverted && !light.inverted);
        for (a, b) in light.values.iter().zip(&paper.values) {
            assert!((a - b).abs() < 1e-5, "{a} {b}");
        }
    }

    /// Paper texture within a quarter of the ink's range is cleared: the content's box is the
    /// stroke's, not the texture's.
    #[test]
    fn faint_texture_is_cleared() {
        let mut upload = image(32, 0.8, 0.0, [8, 14, 16, 3]);
        for (x, y, p) in upload.enumerate_pixels_mut() {
            if p.0[0] > 0.5 {
                // ±0.1 of texture on the paper (an eighth of the ink's range), both ways.
                p.0[0] += [0.1, 0.0, -0.1][((x + 2 * y) % 3) as usize];
            }
        }
        let formed =
            bring(&upload, UploadForm::CentredByMass { box_side: 20 }, 28, 28).expect("formed");
        assert_eq!(formed.content, [8, 14, 16, 3]);
        // The 16 × 3 bar keeps its aspect: 20 rows, 4 columns (3 · 20/16 = 3.75, rounded).
        let lit: Vec<usize> = (0..28 * 28).filter(|&i| formed.values[i] > 0.5).collect();
        let extent = |of: &dyn Fn(usize) -> usize| {
            let (low, high) = lit
                .iter()
                .fold((usize::MAX, 0), |(l, h), &i| (l.min(of(i)), h.max(of(i))));
            high + 1 - low
        };
        assert_eq!(extent(&|i| i / 28), 20);
        assert_eq!(extent(&|i| i % 28), 4);
    }

    /// A blank image (and one whose only variation is below the least contrast) is refused.
    #[test]
    fn a_blank_image_is_refused() {
        for upload in [
            image(20, 0.5, 0.5, [0, 0, 1, 1]),
            image(20, 0.5, 0.55, [5, 5, 4, 4]),
        ] {
            assert_eq!(
                bring(&upload, UploadForm::CentredByMass { box_side: 20 }, 28, 28),
                Err(FormError::Blank)
            );
        }
    }

    /// Fashion-MNIST's form: a 10 × 20 (rows × columns) block fills the frame's width, keeps
    /// its aspect (14 rows) and is centred: rows 7..21.
    #[test]
    fn filled_frame_scales_the_longer_side_to_the_frame() {
        let upload = image(60, 1.0, 0.0, [40, 5, 10, 20]);
        let formed = bring(&upload, UploadForm::FilledFrame, 28, 28).expect("formed");
        assert!(formed.inverted);
        for row in 0..28 {
            for col in 0..28 {
                let inside = (7..21).contains(&row);
                let value = formed.values[row * 28 + col];
                assert!(
                    (value - if inside { 1.0 } else { 0.0 }).abs() < 1e-5,
                    "({row}, {col}): {value}"
                );
            }
        }
    }

    /// The plain resize leaves polarity and placement alone.
    #[test]
    fn resize_only_resizes() {
        let upload = image(56, 1.0, 0.0, [0, 0, 28, 28]);
        let formed = bring(&upload, UploadForm::Resize, 28, 28).expect("formed");
        assert!(!formed.inverted);
        assert!(formed.values[0] < 0.01 && formed.values[27 * 28 + 27] > 0.99);
    }

    /// Large uploads are reduced first: a 1 000 × 1 000 photo of a square gives the form of a
    /// small one (the same ink to 5 %, the same centre of mass to half a pixel).
    #[test]
    fn large_uploads_give_the_same_form() {
        let small = image(50, 0.0, 1.0, [10, 15, 20, 20]);
        let large = image(1000, 0.0, 1.0, [200, 300, 400, 400]);
        let form = UploadForm::CentredByMass { box_side: 20 };
        let (a, b) = (
            bring(&small, form, 28, 28).expect("formed"),
            bring(&large, form, 28, 28).expect("formed"),
        );
        let ink = |values: &[f32]| values.iter().sum::<f32>();
        assert!((ink(&a.values) / ink(&b.values) - 1.0).abs() < 0.05);
        let (ca, cb) = (
            centre_of_mass(&gray_of(&a.values, 28)),
            centre_of_mass(&gray_of(&b.values, 28)),
        );
        assert!(
            (ca.0 - cb.0).abs() < 0.5 && (ca.1 - cb.1).abs() < 0.5,
            "{ca:?} {cb:?}"
        );
    }
}
