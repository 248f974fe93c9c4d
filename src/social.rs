//! The social graph: who is whose neighbour, for SED's reward and for voting.
//!
//! Everything here works on id-ordered vectors (index k = agent id k): `neighbour_sums`
//! returns `Σ_{j ∈ N(i)} x_j` for every agent i, in time linear in the number of agents (and
//! the edges or cells looked at), whatever the graph.

use crate::scenario::SocialGraph;

/// The social graph of the world.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Social {
    graph: SocialGraph,
    n: usize,
    /// Adjacency lists for `Edges` graphs.
    adjacency: Vec<Vec<u32>>,
}

impl Social {
    /// The graph over `n` agents.
    pub fn new(graph: &SocialGraph, n: usize) -> Social {
        let mut adjacency = vec![Vec::new(); if matches!(graph, SocialGraph::Edges(_)) { n } else { 0 }];
        if let SocialGraph::Edges(edges) = graph {
            for &(a, b) in edges {
                if (a as usize) < n && (b as usize) < n && a != b {
                    adjacency[a as usize].push(b);
                    adjacency[b as usize].push(a);
                }
            }
            for list in &mut adjacency {
                list.sort_unstable();
                list.dedup();
            }
        }
        Social { graph: graph.clone(), n, adjacency }
    }

    /// The number of agents.
    pub fn population(&self) -> usize {
        self.n
    }

    /// How many neighbours agent `id` at `(x, y)` has now (`occupied(x, y)` says whether an
    /// agent stands on a cell; only `Grid` graphs ask).
    pub fn degree(&self, id: u32, x: u32, y: u32, occupied: impl Fn(i64, i64) -> bool) -> usize {
        match &self.graph {
            SocialGraph::Complete => self.n.saturating_sub(1),
            SocialGraph::Ring => self.n.saturating_sub(1).min(2),
            SocialGraph::Edges(_) => self.adjacency.get(id as usize).map_or(0, Vec::len),
            SocialGraph::Grid { radius } => {
                let r = *radius as i64;
                let (x, y) = (x as i64, y as i64);
                let mut count = 0;
                for ny in y - r..=y + r {
                    for nx in x - r..=x + r {
                        count += ((nx, ny) != (x, y) && occupied(nx, ny)) as usize;
                    }
                }
                count
            }
        }
    }

    /// The most neighbours agent `id` can ever have (on a `Grid` graph, wherever it stands).
    pub fn max_degree(&self, id: u32) -> usize {
        match &self.graph {
            SocialGraph::Grid { radius } => {
                let side = 2 * *radius as usize + 1;
                self.n.saturating_sub(1).min(side * side - 1)
            }
            _ => self.degree(id, 0, 0, |_, _| false),
        }
    }

    /// Whether neighbourhoods depend on where agents stand.
    pub fn is_spatial(&self) -> bool {
        matches!(self.graph, SocialGraph::Grid { .. })
    }

    /// Whether [`Social::neighbour_sums`] reads the agents' positions (a `Grid` graph); the
    /// other graphs may be given none.
    pub fn uses_positions(&self) -> bool {
        matches!(self.graph, SocialGraph::Grid { .. })
    }

    /// `Σ_{j ∈ N(i)} values[j]` for every agent i. `positions[k]` is agent k's cell; `width`
    /// and `height` the map's size (used by `Grid` graphs only).
    pub fn neighbour_sums(&self, values: &[f64], positions: &[(u32, u32)], width: u32, height: u32) -> Vec<f64> {
        let n = values.len();
        match &self.graph {
            SocialGraph::Complete => {
                let total: f64 = values.iter().sum();
                values.iter().map(|&v| total - v).collect()
            }
            SocialGraph::Ring => (0..n)
                .map(|i| match n {
                    0 | 1 => 0.0,
                    2 => values[1 - i],
                    _ => values[(i + n - 1) % n] + values[(i + 1) % n],
                })
                .collect(),
            SocialGraph::Edges(_) => {
                self.adjacency.iter().take(n).map(|adj| adj.iter().map(|&j| values[j as usize]).sum()).collect()
            }
            SocialGraph::Grid { radius } => {
                // Scatter: each agent with a nonzero value adds it to the agents around it.
                let mut at = std::collections::BTreeMap::new();
                for (k, &(x, y)) in positions.iter().enumerate() {
                    at.insert((y, x), k);
                }
                let r = *radius as i64;
                let mut out = vec![0.0; n];
                for (j, &(x, y)) in positions.iter().enumerate() {
                    if values[j] == 0.0 {
                        continue;
                    }
                    for ny in (y as i64 - r).max(0)..=(y as i64 + r).min(height as i64 - 1) {
                        for nx in (x as i64 - r).max(0)..=(x as i64 + r).min(width as i64 - 1) {
                            if let Some(&i) = at.get(&(ny as u32, nx as u32))
                                && i != j
                            {
                                out[i] += values[j];
                            }
                        }
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_for_each_graph() {
        let v = [1.0, 2.0, 4.0, 8.0];
        let pos = [(0, 0), (1, 0), (5, 5), (6, 6)];
        assert_eq!(
            Social::new(&SocialGraph::Complete, 4).neighbour_sums(&v, &pos, 10, 10),
            vec![14.0, 13.0, 11.0, 7.0]
        );
        assert_eq!(Social::new(&SocialGraph::Ring, 4).neighbour_sums(&v, &pos, 10, 10), vec![10.0, 5.0, 10.0, 5.0]);
        let edges = SocialGraph::Edges(vec![(0, 2), (2, 3), (0, 2)]);
        assert_eq!(Social::new(&edges, 4).neighbour_sums(&v, &pos, 10, 10), vec![4.0, 0.0, 9.0, 4.0]);
        let grid = SocialGraph::Grid { radius: 1 };
        assert_eq!(Social::new(&grid, 4).neighbour_sums(&v, &pos, 10, 10), vec![2.0, 1.0, 8.0, 4.0]);
    }
}
