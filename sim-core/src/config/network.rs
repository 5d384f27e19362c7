//! The pod network: the cluster's pod subnet (kubeadm's
//! `networking.podSubnet`, kube-controller-manager's `--cluster-cidr`) cut
//! into one CIDR per node of `--node-cidr-mask-size` bits (the node IPAM
//! range allocator's `spec.podCIDR`), from which the node's CNI (the bridge
//! plugin's host-local IPAM) gives each pod an address.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 CIDR block: a network address and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// The network address (host bits zero).
    base: u32,
    /// The prefix length, 0 to 32.
    prefix: u8,
}

/// Why a CIDR or a pod network was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// Not `a.b.c.d/n`.
    #[error("{0:?} is not an IPv4 CIDR such as 10.244.0.0/16")]
    Syntax(String),
    /// Host bits set.
    #[error("{given} has host bits set; the network is {network}")]
    HostBits {
        /// What was written.
        given: String,
        /// The network it is in.
        network: Cidr,
    },
    /// A node mask that does not fit the subnet.
    #[error("a node CIDR mask size of {mask} does not fit the pod subnet {subnet}: it must be from {} to {MAX_NODE_MASK}", subnet.prefix())]
    NodeMask {
        /// The subnet.
        subnet: Cidr,
        /// The node mask size.
        mask: u8,
    },
    /// More nodes than node CIDRs.
    #[error("the pod subnet {subnet} holds {capacity} node CIDRs of /{mask}; the cluster has {nodes} nodes")]
    TooManyNodes {
        /// The subnet.
        subnet: Cidr,
        /// The node mask size.
        mask: u8,
        /// How many node CIDRs it holds.
        capacity: u64,
        /// How many nodes there are.
        nodes: usize,
    },
}

/// The longest node mask: a /30 leaves one pod address (.2 of .0-.3).
pub const MAX_NODE_MASK: u8 = 30;

/// The Service network, 10.96.0.0/12 (kubeadm's `serviceSubnet`).
pub const SERVICE_SUBNET: Cidr = Cidr {
    base: (10 << 24) | (96 << 16),
    prefix: 12,
};

impl Cidr {
    /// The block `base/prefix`; None when the prefix is over 32 or host bits
    /// are set.
    pub fn new(base: Ipv4Addr, prefix: u8) -> Option<Self> {
        let base = u32::from(base);
        (prefix <= 32 && base & !mask(prefix) == 0).then_some(Self { base, prefix })
    }

    /// The prefix length.
    pub fn prefix(self) -> u8 {
        self.prefix
    }

    /// The network address.
    pub fn network(self) -> Ipv4Addr {
        Ipv4Addr::from(self.base)
    }

    /// The `i`-th address of the block (0 is the network address).
    pub fn address(self, i: u32) -> Ipv4Addr {
        Ipv4Addr::from(self.base + i)
    }

    /// True when `ip` is in the block.
    pub fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.prefix) == self.base
    }

    /// How many addresses the block holds.
    pub fn size(self) -> u64 {
        1u64 << (32 - self.prefix)
    }
}

/// The netmask of a prefix length.
fn mask(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network(), self.prefix)
    }
}

impl FromStr for Cidr {
    type Err = NetworkError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || NetworkError::Syntax(s.to_owned());
        let (addr, prefix) = s.split_once('/').ok_or_else(syntax)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| syntax())?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(syntax)?;
        Self::new(addr, prefix).ok_or_else(|| NetworkError::HostBits {
            given: s.to_owned(),
            network: Cidr {
                base: u32::from(addr) & mask(prefix),
                prefix,
            },
        })
    }
}

/// The pod network of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodNetwork {
    subnet: Cidr,
    node_mask: u8,
}

impl PodNetwork {
    /// `subnet` cut into node CIDRs of `node_mask` bits.
    pub fn new(subnet: Cidr, node_mask: u8) -> Result<Self, NetworkError> {
        if node_mask < subnet.prefix || node_mask > MAX_NODE_MASK {
            return Err(NetworkError::NodeMask {
                subnet,
                mask: node_mask,
            });
        }
        Ok(Self { subnet, node_mask })
    }

    /// kubeadm with flannel's manifest: 10.244.0.0/16 in /24s (256 nodes);
    /// a cluster of more nodes than that gets 10.128.0.0/9 in /24s (32,768
    /// nodes, clear of the service network 10.96.0.0/12), as a larger
    /// `--cluster-cidr` would give.
    pub fn default_for(nodes: usize) -> Self {
        let (subnet, prefix) = if nodes <= 256 {
            (Ipv4Addr::new(10, 244, 0, 0), 16)
        } else {
            (Ipv4Addr::new(10, 128, 0, 0), 9)
        };
        Self {
            subnet: Cidr::new(subnet, prefix).expect("a network address"),
            node_mask: 24,
        }
    }

    /// The pod subnet.
    pub fn subnet(self) -> Cidr {
        self.subnet
    }

    /// The node CIDR mask size.
    pub fn node_mask(self) -> u8 {
        self.node_mask
    }

    /// How many node CIDRs the subnet holds.
    pub fn node_capacity(self) -> u64 {
        1u64 << (self.node_mask - self.subnet.prefix)
    }

    /// Checks that `nodes` nodes each get a CIDR.
    pub fn check_nodes(self, nodes: usize) -> Result<(), NetworkError> {
        if nodes as u64 > self.node_capacity() {
            return Err(NetworkError::TooManyNodes {
                subnet: self.subnet,
                mask: self.node_mask,
                capacity: self.node_capacity(),
                nodes,
            });
        }
        Ok(())
    }

    /// The CIDR of the `i`-th node (the range allocator hands them out in
    /// order), or None past the last.
    pub fn node_cidr(self, i: usize) -> Option<Cidr> {
        let i = u32::try_from(i)
            .ok()
            .filter(|i| u64::from(*i) < self.node_capacity())?;
        let step = 1u32.checked_shl(32 - u32::from(self.node_mask))?;
        Some(Cidr {
            base: self.subnet.base + i * step,
            prefix: self.node_mask,
        })
    }
}

/// The addresses host-local IPAM hands out in a node's CIDR: `.2` up to the
/// last before the broadcast address (`.1` is the bridge's gateway), the
/// lowest free first.
#[derive(Clone, Debug)]
pub struct PodIpPool {
    cidr: Cidr,
    /// Hosts at and above this one were never handed out.
    next_fresh: u32,
    /// Hosts below `next_fresh` given back.
    released: std::collections::BTreeSet<u32>,
}

impl PodIpPool {
    /// The pool of a node CIDR.
    pub fn new(cidr: Cidr) -> Self {
        Self {
            cidr,
            next_fresh: 2,
            released: Default::default(),
        }
    }

    /// The node CIDR.
    pub fn cidr(&self) -> Cidr {
        self.cidr
    }

    /// The lowest free address, or None when every one is taken.
    pub fn allocate(&mut self) -> Option<Ipv4Addr> {
        if let Some(h) = self.released.pop_first() {
            return Some(self.cidr.address(h));
        }
        let last = u32::try_from(self.cidr.size().saturating_sub(2)).unwrap_or(u32::MAX);
        if self.next_fresh > last {
            return None;
        }
        let h = self.next_fresh;
        self.next_fresh += 1;
        Some(self.cidr.address(h))
    }

    /// Gives an address back (one outside the pool, or not handed out, is
    /// ignored).
    pub fn release(&mut self, ip: Ipv4Addr) {
        let ip = u32::from(ip);
        let base = u32::from(self.cidr.network());
        if let Some(h) = ip
            .checked_sub(base)
            .filter(|h| *h >= 2 && *h < self.next_fresh)
        {
            self.released.insert(h);
        }
    }

    /// Forgets every address (the node rebooted).
    pub fn clear(&mut self) {
        self.next_fresh = 2;
        self.released.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_and_print() {
        let c: Cidr = "10.244.0.0/16".parse().unwrap();
        assert_eq!(c.to_string(), "10.244.0.0/16");
        assert_eq!(c.size(), 65_536);
        assert!(matches!(
            "10.244.1.0/16".parse::<Cidr>(),
            Err(NetworkError::HostBits { .. })
        ));
        for bad in ["10.244.0.0", "10.244.0.0/33", "10.244.0/16", "x/8", ""] {
            assert!(
                matches!(bad.parse::<Cidr>(), Err(NetworkError::Syntax(_))),
                "{bad}"
            );
        }
        assert_eq!("0.0.0.0/0".parse::<Cidr>().unwrap().size(), 1 << 32);
    }

    #[test]
    fn nodes_get_consecutive_blocks() {
        let n = PodNetwork::default_for(3);
        assert_eq!(n.node_cidr(0).unwrap().to_string(), "10.244.0.0/24");
        assert_eq!(n.node_cidr(255).unwrap().to_string(), "10.244.255.0/24");
        assert_eq!(n.node_cidr(256), None);
        assert!(n.check_nodes(257).is_err());
        let big = PodNetwork::default_for(5_000);
        assert_eq!(big.node_cidr(300).unwrap().to_string(), "10.129.44.0/24");
        let wide = PodNetwork::new("10.0.0.0/8".parse().unwrap(), 18).unwrap();
        assert_eq!(wide.node_cidr(5).unwrap().to_string(), "10.1.64.0/18");
        assert_eq!(wide.node_capacity(), 1024);
        assert!(PodNetwork::new("10.0.0.0/16".parse().unwrap(), 15).is_err());
        assert!(PodNetwork::new("10.0.0.0/16".parse().unwrap(), 31).is_err());
    }

    #[test]
    fn the_pool_hands_out_the_lowest_free_address() {
        let mut p = PodIpPool::new("10.244.3.0/29".parse().unwrap());
        let got: Vec<_> = (0..5).map_while(|_| p.allocate()).collect();
        assert_eq!(got.len(), 5, ".2 to .6 (.7 is the broadcast address)");
        assert_eq!(got[0], Ipv4Addr::new(10, 244, 3, 2));
        assert_eq!(p.allocate(), None);
        p.release(Ipv4Addr::new(10, 244, 3, 4));
        p.release(Ipv4Addr::new(10, 244, 3, 3));
        p.release(Ipv4Addr::new(10, 9, 9, 9));
        assert_eq!(p.allocate(), Some(Ipv4Addr::new(10, 244, 3, 3)));
        assert_eq!(p.allocate(), Some(Ipv4Addr::new(10, 244, 3, 4)));
        assert_eq!(p.allocate(), None);
        p.clear();
        assert_eq!(p.allocate(), Some(Ipv4Addr::new(10, 244, 3, 2)));
    }
}
