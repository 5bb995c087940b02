"""The words of the DiD report's technical appendix: glossary, method notes and references.

The board part of the report (everything before the "appendix" section) names no method; the
appendix names each one and says in a line what it does.  Plain data only: the sections in
:mod:`toolkit.stages.did.sections` show them.
"""

from __future__ import annotations

__all__ = ["GLOSSARY", "PLAIN_ROW_LABELS", "PLACEBO_METHOD", "REFERENCES", "ROBUSTNESS_REFERENCES",
           "TECHNICAL_TERMS"]

#: (term, meaning) pairs, in the order a reader meets them in the appendix.
GLOSSARY = (
    ("Difference-in-differences",
     "Compares how the outcome changed in units that joined the scheme with how it changed, over the same time, "
     "in units that had not (yet) joined."),
    ("ATT (average effect on the treated)",
     "The average effect of the scheme on the units that took part, after they started: the headline number."),
    ("ATT(g,t)", "The effect for the units that started in period g, measured in period t."),
    ("Callaway and Sant'Anna",
     "The headline method when units start at different times: it compares each group of starters only with "
     "units that had not yet started (or never did), never with units already in the scheme."),
    ("Two-way fixed effects (TWFE)",
     "The traditional regression estimate with a term for each unit and each period. With staggered starts it can "
     "be biased, so it is shown only for comparison."),
    ("Event study, event time",
     "Effects by the number of periods before or after each unit started (event time 0 is the first period in the "
     "scheme). Before the start they should be close to zero."),
    ("Pre-trend test, Wald test",
     "A joint test that all the effects before the start are zero; the Wald statistic measures how far they are "
     "from zero together."),
    ("Placebo check", "The same estimate at a fake, earlier start date, where there should be no effect."),
    ("Clustered standard errors (CRV1)",
     "Margins of error that allow a unit's months to resemble each other; CRV1 is the usual small-sample version."),
    ("Wild cluster bootstrap",
     "A way of working out the margin of error by re-weighting whole units at random many times; it stays "
     "reliable when there are few units (fewer than about 30, or fewer than 10 in the scheme)."),
    ("Sun and Abraham; imputation (Borusyak, Jaravel and Spiess)",
     "Two other methods that, like the headline, allow the effect to differ between start dates: used to check "
     "that the answer does not depend on the method."),
    ("HonestDiD (Rambachan and Roth)",
     "How far the trends after the start may depart from parallel, relative to what is seen before the start "
     "(M), before the interval includes no effect."),
    ("Holm; Benjamini-Hochberg",
     "Adjustments of p-values when many groups are tested at once: Holm limits the chance of any false finding, "
     "Benjamini-Hochberg the share of false findings. The charter chooses (charter.multiplicity)."),
    ("Ecological", "Deprivation is a property of the area a unit serves, not of each person in it."),
)

#: What the board part of the report must not show (tests/stages/did/test_plain_language.py checks).
TECHNICAL_TERMS = ("ATT", "CRV1", "TWFE", "two-way fixed", "fixed effects", "fixed-effects", "Callaway", "Sant'Anna",
                   "Sun and Abraham", "Borusyak", "imputation", "Rambachan", "HonestDiD", "Wald", "wild",
                   "bootstrap", "event time", "event-time", "event study", "event-study", "interaction-weighted",
                   "influence function", "Holm", "Benjamini", "permutation", "clustered", "F =", "hitk",
                   "evaluation.yaml", "`", "degrees of freedom", "regression event")

#: Display labels of the robustness rows in the board part (the recorded labels keep the method names).
PLAIN_ROW_LABELS = {
    "sun_abraham": "Second method: lets the effect differ by start date",
    "imputation": "Third method: predicts each unit's figures without the scheme",
    "wild_bootstrap": "Simple comparison, margin of error that holds with few units",
}

PLACEBO_METHOD = ("Placebo checks: for each adoption group, data from before its real start, a fake start shifted "
                  "earlier, clean comparison units, stacked with separate unit and period effects per group "
                  "(Cengiz et al. 2019); standard errors clustered as for two-way fixed effects.")

ROBUSTNESS_REFERENCES = (
    "References: Sun L, Abraham S (2021), Journal of Econometrics 225:175-199. Borusyak K, "
    "Jaravel X, Spiess J (2024), Review of Economic Studies 91:3253-3285. Roodman D, MacKinnon JG, "
    "Nielsen MO, Webb MD (2019), Fast and wild, Stata Journal 19:4-60. Holm S (1979), Scandinavian "
    "Journal of Statistics 6:65-70. Benjamini Y, Hochberg Y (1995), JRSS B 57:289-300. Rambachan A, Roth J "
    "(2023), A more credible approach to parallel trends, Review of Economic Studies 90:2555-2591.")

REFERENCES = (
    "References: Callaway B, Sant'Anna PHC (2021), Difference-in-differences with multiple time periods, "
    "Journal of Econometrics 225:200-230. Goodman-Bacon A (2021), Difference-in-differences with variation "
    "in treatment timing, Journal of Econometrics 225:254-277. Cengiz D, Dube A, Lindner A, Zipperer B "
    "(2019), The effect of minimum wages on low-wage jobs, Quarterly Journal of Economics 134:1405-1454. "
    "Roth J, Sant'Anna PHC, Bilinski A, Poe J (2023), What's trending in difference-in-differences?, "
    "Journal of Econometrics 235:2218-2244.")
