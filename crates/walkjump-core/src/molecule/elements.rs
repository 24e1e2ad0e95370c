//! Element data needed for bonding and display: covalent radii (Å) and masses.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Element {
    H,
    C,
    N,
    O,
    S,
    P,
    F,
    Cl,
    Br,
    I,
    Se,
    Na,
    Mg,
    K,
    Ca,
    Fe,
    Zn,
    Ar,
}

impl Element {
    pub const ALL: [Element; 18] = [
        Element::H,
        Element::C,
        Element::N,
        Element::O,
        Element::S,
        Element::P,
        Element::F,
        Element::Cl,
        Element::Br,
        Element::I,
        Element::Se,
        Element::Na,
        Element::Mg,
        Element::K,
        Element::Ca,
        Element::Fe,
        Element::Zn,
        Element::Ar,
    ];

    pub fn symbol(self) -> &'static str {
        match self {
            Element::H => "H",
            Element::C => "C",
            Element::N => "N",
            Element::O => "O",
            Element::S => "S",
            Element::P => "P",
            Element::F => "F",
            Element::Cl => "Cl",
            Element::Br => "Br",
            Element::I => "I",
            Element::Se => "Se",
            Element::Na => "Na",
            Element::Mg => "Mg",
            Element::K => "K",
            Element::Ca => "Ca",
            Element::Fe => "Fe",
            Element::Zn => "Zn",
            Element::Ar => "Ar",
        }
    }

    pub fn from_symbol(s: &str) -> Option<Element> {
        let s = s.trim();
        Element::ALL
            .iter()
            .copied()
            .find(|e| e.symbol().eq_ignore_ascii_case(s))
    }

    /// Single-bond covalent radius in Å (Cordero et al. 2008 values).
    pub fn covalent_radius(self) -> f64 {
        match self {
            Element::H => 0.31,
            Element::C => 0.76,
            Element::N => 0.71,
            Element::O => 0.66,
            Element::S => 1.05,
            Element::P => 1.07,
            Element::F => 0.57,
            Element::Cl => 1.02,
            Element::Br => 1.20,
            Element::I => 1.39,
            Element::Se => 1.20,
            Element::Na => 1.66,
            Element::Mg => 1.41,
            Element::K => 2.03,
            Element::Ca => 1.76,
            Element::Fe => 1.32,
            Element::Zn => 1.22,
            Element::Ar => 1.06,
        }
    }

    pub fn mass(self) -> f64 {
        match self {
            Element::H => 1.008,
            Element::C => 12.011,
            Element::N => 14.007,
            Element::O => 15.999,
            Element::S => 32.06,
            Element::P => 30.974,
            Element::F => 18.998,
            Element::Cl => 35.45,
            Element::Br => 79.904,
            Element::I => 126.90,
            Element::Se => 78.971,
            Element::Na => 22.990,
            Element::Mg => 24.305,
            Element::K => 39.098,
            Element::Ca => 40.078,
            Element::Fe => 55.845,
            Element::Zn => 65.38,
            Element::Ar => 39.948,
        }
    }

    /// Guess the element of a PDB atom name when the element columns are blank.
    /// Biomolecular names start with their element letter after optional digits
    /// ("1HH3" is hydrogen, "CA" is an alpha carbon, not calcium).
    pub fn guess_from_atom_name(name: &str) -> Option<Element> {
        let letters: String = name
            .trim()
            .chars()
            .skip_while(|c| c.is_ascii_digit())
            .collect();
        let first = letters.chars().next()?;
        Element::from_symbol(&first.to_string())
    }
}
