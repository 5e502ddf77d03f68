//! Congealing (Learned-Miller 2006) for the learned-symmetry search: each group's images
//! aligned to their group's mean by the data's nuisance family (shift, tilt, a light gain and a
//! left–right light gradient), the group's two modes found in that aligned frame by 2-means,
//! and the *template edit* they define: an image on one side of its group moves by the
//! difference of the two sides' aligned means, carried back into its own pose and light,
//! L x = x + shade(x) · Δ_g(R(θ)(p − s)). Once pose and light are taken out, what still varies
//! within a group of one person is mostly the binary factor (on Glasses: the glasses), so the
//! split and the edit are sharp where the autoencoder's residual transfer is blurred. No
//! attribute label enters: groups are classes (true labels from f, Φ's argmax from Φ).

mod modes;
mod registration;

pub use registration::{Dims, Pose, register};

use super::discovery::{align_signs, two_means};
use registration::{add_in_pose, aligned, gray, mean_of, sample, splat_mean};

/// Congealing rounds (register every image to its group's mean, then recompute the mean).
const ROUNDS: usize = 4;
/// Rounds of registering each image to its own side's mean once the groups are split.
const SIDE_ROUNDS: usize = 2;
/// Groups smaller than this keep every image on one side (their edit is the identity).
const MIN_GROUP: usize = 8;
/// The smaller side of a split must hold at least this share of its group.
const MIN_SIDE: f64 = 0.1;

/// One group after congealing.
#[derive(Debug, Clone)]
pub struct Group {
    /// The gray mean of the group's images in its frame (fine grid): what images register to.
    pub template: Vec<f32>,
    /// The means of the two sides in the frame (fine grid, every channel), when the group was
    /// split.
    pub sides: Option<[Vec<f32>; 2]>,
    /// The share of the aligned images' spread (about the group's mean) the split explains.
    pub explained: f64,
    /// Its number of training images.
    pub size: usize,
}

/// Every group congealed: the templates, the splits and each training image's pose and side.
#[derive(Debug, Clone)]
pub struct Congealed {
    /// The image shape.
    pub dims: Dims,
    /// The groups.
    pub groups: Vec<Group>,
    /// Each training image's pose.
    pub poses: Vec<Pose>,
    /// Each training image's side (`false` in groups left whole).
    pub sides: Vec<bool>,
    /// Each training image's group.
    pub group_of: Vec<usize>,
}

/// Congeals `images` (each `dims.len()` values) in their `groups` (`n_groups` of them) and splits
/// each group in two by 2-means on its aligned images (started from the top principal direction,
/// or from `start_sides` where given, e.g. the splitter's decisions).
pub fn congeal(
    images: &[Vec<f32>],
    groups: &[usize],
    n_groups: usize,
    dims: Dims,
    start_sides: Option<&[bool]>,
) -> Congealed {
    congeal_with(images, groups, n_groups, dims, start_sides, None)
}

fn congeal_with(
    images: &[Vec<f32>],
    groups: &[usize],
    n_groups: usize,
    dims: Dims,
    start_sides: Option<&[bool]>,
    known: Option<&[Pose]>,
) -> Congealed {
    let mut members = vec![Vec::new(); n_groups];
    for (index, &group) in groups.iter().enumerate() {
        members[group].push(index);
    }
    let grays: Vec<Vec<f32>> = images.iter().map(|image| gray(image, dims)).collect();
    let mut poses = known.map_or_else(|| vec![Pose::default(); images.len()], <[Pose]>::to_vec);
    let template_of = |indices: &[usize], poses: &[Pose]| {
        let rows: Vec<&[f32]> = indices.iter().map(|&i| &grays[i][..]).collect();
        let at: Vec<Pose> = indices.iter().map(|&i| poses[i]).collect();
        splat_mean(&rows, &at, dims, 1)
    };
    let mut templates: Vec<Vec<f32>> = members.iter().map(|m| template_of(m, &poses)).collect();
    if known.is_none() {
        for _ in 0..ROUNDS {
            for (indices, template) in members.iter().zip(&templates) {
                for &i in indices {
                    poses[i] = register(&grays[i], template, dims, &poses[i]);
                }
            }
            templates = members.iter().map(|m| template_of(m, &poses)).collect();
        }
    }
    let mut sides = vec![false; images.len()];
    let groups_out = members
        .iter()
        .zip(templates)
        .map(|(indices, template)| {
            let mut group = Group {
                template,
                sides: None,
                explained: 0.0,
                size: indices.len(),
            };
            if indices.len() < MIN_GROUP {
                return group;
            }
            let aligned: Vec<Vec<f32>> = indices
                .iter()
                .map(|&i| aligned(&images[i], dims, &poses[i]))
                .collect();
            let mean = mean_of(aligned.iter(), dims.len());
            let centred: Vec<Vec<f64>> = aligned
                .iter()
                .map(|a| a.iter().zip(&mean).map(|(v, m)| f64::from(v - m)).collect())
                .collect();
            let split = match start_sides {
                Some(start) => lloyd(&centred, indices.iter().map(|&i| start[i]).collect()),
                None => two_means(&centred).0,
            };
            let on = split.iter().filter(|&&s| s).count();
            let smaller = on.min(split.len() - on) as f64 / split.len() as f64;
            if smaller < MIN_SIDE {
                return group;
            }
            let side_mean = |side: bool| {
                let chosen: Vec<usize> = indices
                    .iter()
                    .zip(&split)
                    .filter(|(_, s)| **s == side)
                    .map(|(&i, _)| i)
                    .collect();
                let rows: Vec<&[f32]> = chosen.iter().map(|&i| &images[i][..]).collect();
                let at: Vec<Pose> = chosen.iter().map(|&i| poses[i]).collect();
                splat_mean(&rows, &at, dims, dims.channels)
            };
            for (&i, &s) in indices.iter().zip(&split) {
                sides[i] = s;
            }
            group.sides = Some([side_mean(false), side_mean(true)]);
            group
        })
        .collect::<Vec<Group>>();
    let mut groups_out = groups_out;
    // Each image registered again, now to its own side's mean, and the side means rebuilt: the
    // group's mean carries the factor at half strength, which pulls every pose a little.
    if known.is_none() {
        for _ in 0..SIDE_ROUNDS {
            for (indices, group) in members.iter().zip(groups_out.iter_mut()) {
                let Some(means) = group.sides.as_ref() else {
                    continue;
                };
                let fine = dims.fine(dims.channels);
                let templates = [gray(&means[0], fine), gray(&means[1], fine)];
                for &i in indices {
                    poses[i] = register(
                        &grays[i],
                        &templates[usize::from(sides[i])],
                        dims,
                        &poses[i],
                    );
                }
                let side_mean = |side: bool| {
                    let chosen: Vec<usize> = indices
                        .iter()
                        .copied()
                        .filter(|&i| sides[i] == side)
                        .collect();
                    let rows: Vec<&[f32]> = chosen.iter().map(|&i| &images[i][..]).collect();
                    let at: Vec<Pose> = chosen.iter().map(|&i| poses[i]).collect();
                    splat_mean(&rows, &at, dims, dims.channels)
                };
                group.sides = Some([side_mean(false), side_mean(true)]);
            }
        }
    }
    let aligned: Vec<Vec<f32>> = images
        .iter()
        .zip(&poses)
        .map(|(image, pose)| aligned(image, dims, pose))
        .collect();
    for (indices, group) in members.iter().zip(groups_out.iter_mut()) {
        if group.sides.is_some() {
            group.explained = group_share(&aligned, indices, &sides);
        }
    }
    Congealed {
        dims,
        groups: groups_out,
        poses,
        sides,
        group_of: groups.to_vec(),
    }
}

/// The share of the spread of the `aligned` images `indices` about their mean that their two
/// `sides` explain (0 when a side is empty).
fn group_share(aligned: &[Vec<f32>], indices: &[usize], sides: &[bool]) -> f64 {
    let len = aligned.first().map_or(0, Vec::len);
    let mean = mean_of(indices.iter().map(|&i| &aligned[i]), len);
    let side =
        |s: bool| -> Vec<usize> { indices.iter().copied().filter(|&i| sides[i] == s).collect() };
    let (on, off) = (side(true), side(false));
    if on.is_empty() || off.is_empty() {
        return 0.0;
    }
    let total: f64 = indices
        .iter()
        .flat_map(|&i| aligned[i].iter().zip(&mean))
        .map(|(v, m)| f64::from(v - m).powi(2))
        .sum();
    let between: f64 = [on, off]
        .iter()
        .map(|part| {
            let m = mean_of(part.iter().map(|&i| &aligned[i]), len);
            part.len() as f64
                * m.iter()
                    .zip(&mean)
                    .map(|(a, b)| f64::from(a - b).powi(2))
                    .sum::<f64>()
        })
        .sum();
    between / total.max(f64::MIN_POSITIVE)
}

/// Lloyd iterations of 2-means on centred `points` from the assignment `start` (both clusters
/// kept non-empty).
fn lloyd(points: &[Vec<f64>], start: Vec<bool>) -> Vec<bool> {
    let dim = points.first().map_or(0, Vec::len);
    let mut assignment = start;
    for _ in 0..50 {
        let mut sums = [vec![0.0; dim], vec![0.0; dim]];
        let mut counts = [0usize; 2];
        for (point, &side) in points.iter().zip(&assignment) {
            counts[usize::from(side)] += 1;
            for (s, p) in sums[usize::from(side)].iter_mut().zip(point) {
                *s += p;
            }
        }
        if counts.contains(&0) {
            break;
        }
        for (sum, count) in sums.iter_mut().zip(counts) {
            sum.iter_mut().for_each(|s| *s /= count as f64);
        }
        let next: Vec<bool> = points
            .iter()
            .map(|p| {
                let d = |c: &[f64]| p.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
                d(&sums[1]) < d(&sums[0])
            })
            .collect();
        if next == assignment || next.iter().all(|&s| s) || next.iter().all(|&s| !s) {
            break;
        }
        assignment = next;
    }
    assignment
}

impl Congealed {
    /// The share of the aligned spread the splits explain, weighted by group size (groups left
    /// whole count as explaining nothing).
    pub fn bimodality(&self) -> f64 {
        let total: usize = self.groups.iter().map(|g| g.size).sum();
        self.groups
            .iter()
            .map(|g| g.explained * g.size as f64)
            .sum::<f64>()
            / total.max(1) as f64
    }

    /// The training `images` (those congealed) aligned at their poses, light divided out.
    pub fn aligned_images(&self, images: &[Vec<f32>]) -> Vec<Vec<f32>> {
        images
            .iter()
            .zip(&self.poses)
            .map(|(image, pose)| aligned(image, self.dims, pose))
            .collect()
    }

    /// The share of the spread of `aligned` (from [`Self::aligned_images`]) about each group's
    /// mean that the two `sides` explain, weighted by group size; groups smaller than the
    /// least split, or with one side empty, explain nothing.
    pub fn share_of(&self, aligned: &[Vec<f32>], groups: &[usize], sides: &[bool]) -> f64 {
        let mut members = vec![Vec::new(); self.groups.len()];
        for (index, &group) in groups.iter().enumerate() {
            members[group].push(index);
        }
        let explained: f64 = members
            .iter()
            .filter(|indices| indices.len() >= MIN_GROUP)
            .map(|indices| group_share(aligned, indices, sides) * indices.len() as f64)
            .sum();
        explained / groups.len().max(1) as f64
    }

    /// The share of the training images in groups that were split in two.
    pub fn split_share(&self) -> f64 {
        let total: usize = self.groups.iter().map(|g| g.size).sum();
        let split: usize = self
            .groups
            .iter()
            .filter(|g| g.sides.is_some())
            .map(|g| g.size)
            .sum();
        split as f64 / total.max(1) as f64
    }

    /// Each training image's side with one polarity for every group (on Glasses: glasses on is
    /// the same side everywhere, whichever it is): a group's sides are swapped when the
    /// difference of its side means points against the top singular vector of all the
    /// differences (the groups share one frame). Images of groups left whole take side `false`.
    pub fn polar_sides(&self, groups: &[usize]) -> Vec<bool> {
        let flip = self.polarity();
        self.sides
            .iter()
            .zip(groups)
            .map(|(&side, &g)| self.groups[g].sides.is_some() && side != flip[g])
            .collect()
    }

    /// Per group, whether its sides are swapped to give every group one polarity (see
    /// [`Self::polar_sides`]; `false` for groups left whole).
    pub fn polarity(&self) -> Vec<bool> {
        let split: Vec<usize> = (0..self.groups.len())
            .filter(|&g| self.groups[g].sides.is_some())
            .collect();
        let differences: Vec<Vec<f64>> = split
            .iter()
            .filter_map(|&g| self.groups[g].sides.as_ref())
            .map(|[m0, m1]| m1.iter().zip(m0).map(|(a, b)| f64::from(a - b)).collect())
            .collect();
        let mut flip = vec![false; self.groups.len()];
        for (&g, flipped) in split.iter().zip(align_signs(&differences)) {
            flip[g] = flipped;
        }
        flip
    }

    /// The pose of a new `image` of `group`, registered to the group's template.
    pub fn pose_of(&self, image: &[f32], group: usize) -> Option<Pose> {
        let found = self.groups.get(group)?;
        Some(register(
            &gray(image, self.dims),
            &found.template,
            self.dims,
            &Pose::default(),
        ))
    }

    /// The side of an image of `group` at `pose`: the side whose mean, carried into the
    /// image's pose and light, is nearer.
    fn side_of(&self, image: &[f32], group: usize, pose: &Pose) -> Option<bool> {
        let [m0, m1] = self.groups.get(group)?.sides.as_ref()?;
        let (dims, fine) = (self.dims, self.dims.fine(self.dims.channels));
        let (mut d0, mut d1) = (0.0f64, 0.0f64);
        for row in 0..dims.height {
            for col in 0..dims.width {
                let p = dims.coordinates(row, col);
                let f = pose.frame_point(p);
                let shade = pose.shade(p);
                for channel in 0..dims.channels {
                    let x = image[channel * dims.plane() + row * dims.width + col];
                    d0 += f64::from(x - shade * sample(m0, fine, channel, f)).powi(2);
                    d1 += f64::from(x - shade * sample(m1, fine, channel, f)).powi(2);
                }
            }
        }
        Some(d1 < d0)
    }

    /// The template edit of a new `image` of `group`: registered to the group's template, its
    /// side decided by the nearer side mean, then moved by the other side's mean minus its own,
    /// in its pose and light. Groups left whole leave the image as it is.
    pub fn edit(&self, image: &[f32], group: usize) -> Vec<f32> {
        let Some(pose) = self.pose_of(image, group) else {
            return image.to_vec();
        };
        let Some(side) = self.side_of(image, group, &pose) else {
            return image.to_vec();
        };
        // Registered again to its own side's mean, as the training images were.
        let pose = match self.groups[group].sides.as_ref() {
            Some(means) => {
                let fine = self.dims.fine(self.dims.channels);
                let template = gray(&means[usize::from(side)], fine);
                register(&gray(image, self.dims), &template, self.dims, &pose)
            }
            None => pose,
        };
        self.move_side(image, group, &pose, side)
    }

    /// The template edit of `image` of `group` at a known `pose` (the feasibility measurement).
    #[cfg(test)]
    pub fn edit_at(&self, image: &[f32], group: usize, pose: &Pose) -> Vec<f32> {
        match self.side_of(image, group, pose) {
            Some(side) => self.move_side(image, group, pose, side),
            None => image.to_vec(),
        }
    }

    fn move_side(&self, image: &[f32], group: usize, pose: &Pose, side: bool) -> Vec<f32> {
        let Some([m0, m1]) = self.groups.get(group).and_then(|g| g.sides.as_ref()) else {
            return image.to_vec();
        };
        let (from, to) = if side { (m1, m0) } else { (m0, m1) };
        let delta: Vec<f32> = to.iter().zip(from).map(|(a, b)| a - b).collect();
        add_in_pose(image, &delta, self.dims, pose)
    }
}

#[cfg(test)]
mod tests {
    use super::registration::at_pose;
    use super::*;
    use memlab_shared::glasses::{self, GlassesConfig};

    fn rms(a: &[f32], b: &[f32]) -> f64 {
        (a.iter()
            .zip(b)
            .map(|(x, y)| f64::from(x - y).powi(2))
            .sum::<f64>()
            / a.len() as f64)
            .sqrt()
    }

    fn quantized(values: Vec<f32>) -> Vec<f32> {
        glasses::to_u8(&values)
            .into_iter()
            .map(|v| f32::from(v) / 255.0)
            .collect()
    }

    /// Two groups of scenes at random poses, half of each with a planted square: congealing
    /// splits every group exactly along the square, the split explains a share of the spread
    /// that the hand-made sides reproduce, and the edit of a new image with the square takes it
    /// away (and puts it on one without) to within half of its size: the means of 20 images a
    /// side, splatted on the fine grid, blur the square's soft edge by about half a pixel
    /// (measured: 0.35 of the square's RMS; no edit leaves 1, the wrong way 2).
    #[test]
    fn congealing_finds_and_toggles_a_planted_square() {
        let dims = Dims {
            channels: 1,
            height: 32,
            width: 32,
        };
        let mut generator = crate::rng::SplitMix64::new(7);
        let mut uniform = |low: f32, high: f32| {
            low + (high - low) * (generator.next_u64() % 10_000) as f32 / 10_000.0
        };
        let mut pose = || Pose {
            shift: (uniform(-0.06, 0.06), uniform(-0.06, 0.06)),
            tilt: uniform(-0.12, 0.12),
            gain: uniform(0.9, 1.05),
            gradient: uniform(-0.05, 0.05),
        };
        let (mut images, mut groups, mut truth) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..60 {
            let square = k % 2 == 0;
            let mut image = at_pose(dims, &pose(), square);
            if k % 3 == 0 {
                // The second group: the scene darker by a constant.
                image.iter_mut().for_each(|v| *v *= 0.8);
            }
            images.push(image);
            groups.push(usize::from(k % 3 == 0));
            truth.push(square);
        }
        let congealed = congeal(&images, &groups, 2, dims, None);
        for group in 0..2 {
            let (same, total) = (0..60)
                .filter(|&i| groups[i] == group)
                .fold((0, 0), |(s, t), i| {
                    (s + usize::from(congealed.sides[i] == truth[i]), t + 1)
                });
            assert!(
                same == 0 || same == total,
                "group {group}: {same} of {total}"
            );
        }
        assert_eq!(congealed.split_share(), 1.0);
        let aligned = congealed.aligned_images(&images);
        let share = congealed.share_of(&aligned, &groups, &congealed.sides);
        assert!((share - congealed.bimodality()).abs() < 1e-6, "{share}");
        assert!(share > 0.5, "{share}");
        // Sides at random explain far less.
        let shuffled: Vec<bool> = (0..60).map(|k| k % 4 < 2).collect();
        assert!(congealed.share_of(&aligned, &groups, &shuffled) < 0.2 * share);
        // One polarity for both groups: side 1 is the square everywhere, or nowhere; the modes
        // shown say so (half of each group on side 1; shapes measured only where asked).
        let polar = congealed.polar_sides(&groups);
        let agree = (0..60).filter(|&i| polar[i] == truth[i]).count();
        assert!(agree == 0 || agree == 60, "{agree}");
        let modes = congealed
            .modes(&["a".into(), "b".into()], Some(&images))
            .expect("encodes");
        assert_eq!(modes.len(), 2);
        for found in &modes {
            assert!((found.side_one - 0.5).abs() < 1e-12, "{}", found.side_one);
            assert!(found.png.starts_with("data:image/png;base64,"));
        }
        assert!(modes.iter().all(|found| found.shape.is_some()));
        let unmeasured = congealed
            .modes(&["a".into(), "b".into()], None)
            .expect("encodes");
        assert!(unmeasured.iter().all(|found| found.shape.is_none()));
        for square in [true, false] {
            let pose = Pose {
                shift: (0.03, -0.02),
                tilt: 0.05,
                gain: 1.0,
                gradient: 0.0,
            };
            let image = at_pose(dims, &pose, square);
            let target = at_pose(dims, &pose, !square);
            let edited = congealed.edit(&image, 0);
            let moved = rms(&image, &target);
            assert!(
                rms(&edited, &target) < 0.5 * moved,
                "{} vs {moved}",
                rms(&edited, &target)
            );
        }
    }

    fn true_pose(example: &glasses::Example) -> Pose {
        let n = example.nuisance;
        Pose {
            shift: (n.shift_x, n.shift_y),
            tilt: n.tilt.to_radians(),
            gain: n.light,
            gradient: n.light_gradient,
        }
    }

    /// Feasibility on Glasses with the true classes as groups: the template edit's RMS from L* x
    /// against ‖L* x − x‖ on test faces, with registered and with the true poses. Prints; a
    /// measurement, not a check.
    #[test]
    #[ignore]
    fn template_edit_on_glasses() {
        let config = GlassesConfig::default();
        let identities = config.identity_list();
        let dims = Dims {
            channels: 3,
            height: config.size,
            width: config.size,
        };
        let n_train = 4000;
        let started = std::time::Instant::now();
        let examples: Vec<_> = (0..n_train)
            .map(|i| config.example(&identities, false, i))
            .collect();
        let images: Vec<Vec<f32>> = examples
            .iter()
            .map(|e| quantized(glasses::render(e, config.size, false)))
            .collect();
        let groups: Vec<usize> = examples.iter().map(|e| e.label).collect();
        let truth: Vec<bool> = examples.iter().map(|e| e.glasses).collect();
        let true_poses: Vec<Pose> = examples.iter().map(true_pose).collect();
        for known in [false, true] {
            let congealed = congeal_with(
                &images,
                &groups,
                identities.len(),
                dims,
                None,
                known.then_some(&true_poses[..]),
            );
            let agree = congealed.sides.iter().zip(&truth).zip(&groups).fold(
                vec![(0usize, 0usize); identities.len()],
                |mut acc, ((s, t), &g)| {
                    acc[g].0 += usize::from(s == t);
                    acc[g].1 += 1;
                    acc
                },
            );
            let agreement: f64 = agree
                .iter()
                .map(|(same, n)| (*same).max(n - same) as f64)
                .sum::<f64>()
                / n_train as f64;
            println!(
                "known poses {known}: congealed {n_train} in {:.1} s; split agreement {agreement:.3}; bimodality {:.3}",
                started.elapsed().as_secs_f64(),
                congealed.bimodality()
            );
            let mut sums = [[0.0f64; 2]; 2];
            for i in 0..250 {
                let example = config.example(&identities, true, i);
                let x = quantized(glasses::render(&example, config.size, false));
                let target = quantized(glasses::render(&example, config.size, true));
                let edited = if known {
                    congealed.edit_at(&x, example.label, &true_pose(&example))
                } else {
                    congealed.edit(&x, example.label)
                };
                let s = &mut sums[usize::from(example.glasses)];
                s[0] += rms(&edited, &target);
                s[1] += rms(&x, &target);
            }
            println!(
                "  test: RMS to L* {:.4}, L* moves {:.4}, ratio {:.3} (off → on {:.3}, on → off {:.3})",
                (sums[0][0] + sums[1][0]) / 250.0,
                (sums[0][1] + sums[1][1]) / 250.0,
                (sums[0][0] + sums[1][0]) / (sums[0][1] + sums[1][1]),
                sums[0][0] / sums[0][1],
                sums[1][0] / sums[1][1],
            );
        }
    }
}
