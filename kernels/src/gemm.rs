//! A safe front to the `gemm` crate's matrix product (the one Flex's own matmul calls), for the
//! training kernels: operands are bounds-checked strided views of slices, the product is
//! written straight into a caller's row-major slice (no tensor, allocation or copy around it).

/// A read-only matrix in a slice: entry (i, j) is `data[i · row_stride + j · col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// The values.
    pub data: &'a [f32],
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Distance between two rows' entries in `data`.
    pub row_stride: usize,
    /// Distance between two columns' entries in `data`.
    pub col_stride: usize,
}

impl<'a> View<'a> {
    /// `data` as a contiguous row-major `rows × cols` matrix.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose (the same values, strides swapped).
    pub fn transposed(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Whether every entry lies inside `data`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1)
                .checked_mul(self.row_stride)
                .zip((self.cols - 1).checked_mul(self.col_stride))
                .and_then(|(a, b)| a.checked_add(b))
                .is_some_and(|last| last < self.data.len())
    }
}

/// `dst = lhs · rhs`, or `dst += lhs · rhs` when `accumulate`; `dst` is the row-major
/// `lhs.rows × rhs.cols` product, computed on the calling thread.
///
/// # Panics
/// When the inner dimensions differ, `dst` has not exactly `lhs.rows · rhs.cols` values, or a
/// view reaches past its slice (a bug in the caller: the kernels size everything themselves).
pub fn matmul(dst: &mut [f32], lhs: View<'_>, rhs: View<'_>, accumulate: bool) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(k, rhs.rows, "matmul: inner dimensions differ");
    assert_eq!(dst.len(), m * n, "matmul: destination of the wrong size");
    assert!(
        lhs.fits() && rhs.fits(),
        "matmul: a view reaches past its slice"
    );
    let stride = |value: usize| isize::try_from(value).expect("matmul: stride beyond isize");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return;
    }
    #[allow(unsafe_code)] // A documented exception to the workspace's rule: see the SAFETY note.
    // SAFETY: `gemm` reads lhs at `i·row_stride + j·col_stride` for i < m, j < k and rhs likewise
    // for i < k, j < n, all inside their slices (`fits`, checked above); it writes (and, when
    // `accumulate`, reads) dst at `i·n + j` for i < m, j < n, which is exactly `dst` (length
    // m·n, checked above), a unique borrow that aliases neither operand. Parallelism::None
    // keeps it on this thread, and the scalar type is f32, which `gemm` supports.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            stride(n),
            accumulate,
            lhs.data.as_ptr(),
            stride(lhs.col_stride),
            stride(lhs.row_stride),
            rhs.data.as_ptr(),
            stride(rhs.col_stride),
            stride(rhs.row_stride),
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The product by the definition, in f64.
    fn naive(lhs: View<'_>, rhs: View<'_>) -> Vec<f32> {
        let at = |v: &View<'_>, i: usize, j: usize| {
            f64::from(v.data[i * v.row_stride + j * v.col_stride])
        };
        let mut out = Vec::new();
        for i in 0..lhs.rows {
            for j in 0..rhs.cols {
                out.push(
                    (0..lhs.cols)
                        .map(|l| at(&lhs, i, l) * at(&rhs, l, j))
                        .sum::<f64>() as f32,
                );
            }
        }
        out
    }

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000) as f32 / 500.0
                    - 1.0
            })
            .collect()
    }

    fn assert_close(got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{g} vs {w}");
        }
    }

    #[test]
    fn products_match_the_definition_for_every_layout() {
        for (m, k, n) in [
            (1, 1, 1),
            (3, 5, 2),
            (6, 25, 784),
            (16, 150, 100),
            (7, 1, 9),
        ] {
            let (a, b) = (values(m * k, 1), values(k * n, 2));
            let lhs = View::row_major(&a, m, k);
            let rhs = View::row_major(&b, k, n);
            let mut dst = vec![f32::NAN; m * n];
            matmul(&mut dst, lhs, rhs, false);
            assert_close(&dst, &naive(lhs, rhs));
            // The same operands stored transposed, read through transposed views.
            let (at, bt) = (values(k * m, 1), values(n * k, 2));
            let lhs_t = View::row_major(&at, k, m).transposed();
            let rhs_t = View::row_major(&bt, n, k).transposed();
            matmul(&mut dst, lhs_t, rhs_t, false);
            assert_close(&dst, &naive(lhs_t, rhs_t));
        }
    }

    #[test]
    fn accumulating_adds_to_the_destination() {
        let (a, b) = (values(12, 3), values(20, 4));
        let (lhs, rhs) = (View::row_major(&a, 3, 4), View::row_major(&b, 4, 5));
        let mut dst = vec![1.0; 15];
        matmul(&mut dst, lhs, rhs, true);
        let want: Vec<f32> = naive(lhs, rhs).iter().map(|v| v + 1.0).collect();
        assert_close(&dst, &want);
    }

    #[test]
    fn an_empty_inner_dimension_gives_zeros() {
        let mut dst = vec![5.0; 6];
        matmul(
            &mut dst,
            View::row_major(&[], 2, 0),
            View::row_major(&[], 0, 3),
            false,
        );
        assert_eq!(dst, vec![0.0; 6]);
    }

    #[test]
    #[should_panic(expected = "reaches past")]
    fn a_view_past_its_slice_is_refused() {
        let a = [1.0; 5];
        let mut dst = [0.0; 4];
        matmul(
            &mut dst,
            View::row_major(&a, 2, 3),
            View::row_major(&a, 3, 2),
            false,
        );
    }
}
