source("reference_json.R")
script <- "make_fine_gray.R"

# Reference values for Followup's Fine-Gray regression (fine_gray, fine_gray_data):
#     cd tests/reference && Rscript make_fine_gray.R
# cmprsk::crr (coefficients, its sandwich variance, pseudo log-likelihoods, score, information,
# uftime/bfitj, predict.crr) and survival::finegray (the expanded rows, row for row) with the
# weighted coxph fitted on them. The JSON carries the exact input rows, so CI never needs R.
#
# Convergence: the reference is crr at its optimum. crr's own stop (gtol = 1e-6) can stop ~1e-7
# (relative) short of it, and a tighter gtol fails on tied data such as mgus2: near the optimum
# the decrease a Newton step promises (~1e-15) is below the rounding of the pseudo-loglik, the
# Armijo line search rejects 21 halvings and crr reports converged = FALSE. So each case runs crr
# to convergence (the tightest gtol in 1e-12 ... 1e-6 it reaches) and then takes pure Newton steps
# with crr's own score and information, crr(init = b, maxiter = 0), until the step is below 1e-13
# of |b| + se; everything (var, loglik, bfitj, predict) is crr's, evaluated there. Followup stops
# at the optimum too. The *_crr_defaults cases are crr's plain output with its defaults.
# crr does not report its iteration count: "crr_iterations" is the smallest maxiter for which
# crr (with the case's gtol) reports converged = TRUE, i.e. the Newton steps crr took.

# Covariates ~1e9 apart in scale (age in seconds beside sex): crr's solve() refuses them
# ("system is computationally singular", reciprocal condition 1e-18), so that case's reference
# is crr on the original covariates transformed exactly: beta/f, var/(f f'), same likelihoods.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

TIGHT <- NULL                               # the tightest gtol crr converges at, found per case

# ------------------------------------------------------------------- datasets ---
set.seed(10)                                 # ?crr's own example, verbatim
ftime <- rexp(200)
fstatus <- sample(0:2, 200, replace = TRUE)
cov <- matrix(runif(600), nrow = 200)
dimnames(cov)[[2]] <- c("x1", "x2", "x3")
set.seed(11)                                 # a censoring group for the cengroup case
cg <- sample(c("a", "b"), 200, replace = TRUE)
example <- data.frame(time = ftime, status = fstatus, cov, cengroup = cg)

mg <- na.omit(mgus2[, c("futime", "ptime", "pstat", "death", "age", "sex", "hgb")])
mg <- data.frame(time = ifelse(mg$pstat == 0, mg$futime, mg$ptime),
                 event = ifelse(mg$pstat == 0, 2 * mg$death, 1),   # 1 progression, 2 death
                 age = mg$age, sex = as.character(mg$sex), hgb = mg$hgb)
mg$age_seconds <- mg$age * 365.25 * 86400    # ~1e9 beside a 0/1 indicator
mg$progression_only <- ifelse(mg$event == 2, 0, mg$event)  # no competing failures at all

datasets <- list(example = as.list(example), mgus2 = as.list(mg))

# --------------------------------------------------------------------- crr fits ---
iterations_of <- function(fit_with) {
  for (k in 0:100) if (suppressWarnings(fit_with(k))$converged) return(k)
  NA
}

crr_case <- function(name, data, time, status, formula, cause = 1, cengroup = NULL,
                     control = TIGHT, profiles = NULL, scale = NULL,
                     polish_to_optimum = is.null(control)) {
  force(polish_to_optimum)                   # before control is filled in below
  X <- model.matrix(formula, data)[, -1, drop = FALSE]
  cg <- if (is.null(cengroup)) rep(1, nrow(data)) else data[[cengroup]]
  fit_with <- function(maxiter) crr(data[[time]], data[[status]], X, failcode = cause,
                                    cencode = 0, cengroup = cg, gtol = control$gtol,
                                    maxiter = maxiter)
  if (is.null(control)) {
    for (g in 10^-(12:6)) {
      control <- list(gtol = g, maxiter = 100)
      if (suppressWarnings(fit_with(100))$converged) break
    }
  }
  fit <- fit_with(control$maxiter)
  stopifnot(fit$converged)
  polish <- function(b) crr(data[[time]], data[[status]], X, failcode = cause, cencode = 0,
                            cengroup = cg, init = b, maxiter = 0)
  polished <- 0
  if (polish_to_optimum) {
    repeat {
      step <- solve(fit$inf, fit$score)
      if (all(abs(step) <= 1e-13 * (abs(fit$coef) + sqrt(diag(solve(fit$inf)))))) break
      stopifnot(polished < 5)
      fit <- polish(fit$coef + step)
      polished <- polished + 1
    }
  }
  s <- summary(fit)
  out <- list(
    name = scalar(name), dataset = scalar(if (identical(data, mg)) "mgus2" else "example"), time = scalar(time),
    status = scalar(status), covariates = all.vars(formula), columns = colnames(X),
    cause = scalar(cause), cengroup = if (is.null(cengroup)) scalar(NA_character_) else scalar(cengroup),
    gtol = scalar(control$gtol), maxiter = scalar(control$maxiter),
    crr_iterations = scalar(iterations_of(fit_with)), polish_steps = scalar(polished),
    coef = unname(fit$coef), var = unname(fit$var), se = unname(s$coef[, "se(coef)"]),
    z = unname(s$coef[, "z"]), p = unname(2 * pnorm(-abs(s$coef[, "z"]))),
    hr = unname(s$conf.int[, "exp(coef)"]), lower = unname(s$conf.int[, "2.5%"]),
    upper = unname(s$conf.int[, "97.5%"]), loglik = scalar(fit$loglik),
    loglik_null = scalar(fit$loglik.null), logtest = scalar(s$logtest[["test"]]),
    score = unname(fit$score), inf = unname(fit$inf), uftime = fit$uftime,
    bfitj = fit$bfitj, n = scalar(fit$n)
  )
  if (!is.null(profiles)) {
    P <- model.matrix(formula, cbind(profiles, data[seq_len(nrow(profiles)), c(time, status)]))
    pred <- predict(fit, P[, -1, drop = FALSE])
    out$profiles <- as.list(profiles)
    out$predict <- list(time = unname(pred[, 1]), incidence = unname(pred[, -1, drop = FALSE]))
  }
  if (!is.null(scale)) {                      # the same fit, on covariates multiplied by f
    f <- scale[colnames(X)]
    f[is.na(f)] <- 1
    out$columns <- ifelse(colnames(X) %in% names(scale), paste0(colnames(X), "_scaled"),
                          colnames(X))
    out$coef <- out$coef / f
    out$var <- out$var / outer(f, f)
    out$se <- out$se / f
    out$inf <- out$inf * outer(f, f)
    out$hr <- exp(out$coef)
    out$lower <- exp(out$coef + qnorm(0.025) * out$se)   # summary.crr's limits, on the new scale
    out$upper <- exp(out$coef + qnorm(0.975) * out$se)
    out$score <- out$score * f
    out$scale <- as.list(scale)
  }
  out
}

example_profiles <- data.frame(x1 = c(.1, .1), x2 = c(.5, .5), x3 = c(.8, .2))   # as in ?crr
mg_profiles <- data.frame(age = c(60, 75, 85), sex = c("F", "M", "M"), hgb = c(14, 12, 10))
mg_formula <- ~ age + sex + hgb

crr_cases <- list(
  crr_case("example_cause1", example, "time", "status", ~ x1 + x2 + x3,
           profiles = example_profiles),
  crr_case("example_cause2", example, "time", "status", ~ x1 + x2 + x3, cause = 2),
  crr_case("example_crr_defaults", example, "time", "status", ~ x1 + x2 + x3,
           control = list(gtol = 1e-6, maxiter = 10), profiles = example_profiles),
  crr_case("example_cengroup", example, "time", "status", ~ x1 + x2 + x3, cengroup = "cengroup"),
  crr_case("mgus2_progression", mg, "time", "event", mg_formula, profiles = mg_profiles),
  crr_case("mgus2_death", mg, "time", "event", mg_formula, cause = 2, profiles = mg_profiles),
  crr_case("mgus2_crr_defaults", mg, "time", "event", mg_formula,
           control = list(gtol = 1e-6, maxiter = 10)),
  crr_case("mgus2_cengroup_sex", mg, "time", "event", ~ age + hgb, cengroup = "sex"),
  crr_case("mgus2_age_seconds", mg, "time", "event", mg_formula,
           scale = c(age = 365.25 * 86400)),
  crr_case("mgus2_no_competing", mg, "time", "progression_only", mg_formula)
)

# With no competing failures the pseudo-likelihood is Breslow's partial likelihood, and crr's
# sandwich (psi = 0) is coxph's robust variance: coxph(ties = "breslow", robust = TRUE).
cox <- coxph(Surv(time, progression_only) ~ age + sex + hgb, data = mg, ties = "breslow",
             robust = TRUE, control = coxph.control(eps = 1e-11, iter.max = 100))
breslow <- list(name = scalar("mgus2_no_competing"), coef = unname(coef(cox)),
                robust_var = unname(cox$var), naive_var = unname(cox$naive.var),
                loglik = scalar(cox$loglik[2]))

# ------------------------------------------------------- finegray + weighted coxph ---
finegray_case <- function(name, data, time, status, covariates, cause) {
  d <- data.frame(row = seq_len(nrow(data)), data[covariates])
  d$ftime <- data[[time]]
  d$fstatus <- factor(data[[status]])
  fg <- finegray(Surv(ftime, fstatus) ~ ., data = d, etype = cause)
  form <- reformulate(covariates, "Surv(fgstart, fgstop, fgstatus)")
  fit <- coxph(form, data = fg, weights = fgwt,
               control = coxph.control(eps = 1e-11, iter.max = 100))
  list(name = scalar(name), dataset = scalar(if (identical(data, mg)) "mgus2" else "example"),
       time = scalar(time), status = scalar(status), covariates = covariates,
       cause = scalar(cause),
       rows = list(row = fg$row - 1, fgstart = fg$fgstart, fgstop = fg$fgstop,
                   fgstatus = fg$fgstatus, fgwt = fg$fgwt),
       # coxph(Surv(fgstart, fgstop, fgstatus) ~ ..., weights = fgwt, ties = "efron"):
       weighted_coxph = list(columns = names(coef(fit)), coef = unname(coef(fit)),
                             var = unname(fit$var), loglik = fit$loglik))
}

finegray_cases <- list(
  finegray_case("mgus2_progression", mg, "time", "event", c("age", "sex", "hgb"), 1),
  finegray_case("mgus2_death", mg, "time", "event", c("age", "sex", "hgb"), 2),
  finegray_case("example_cause1", example, "time", "status", c("x1", "x2", "x3"), 1)
)

write_reference(list(datasets = datasets, crr = crr_cases, breslow = breslow,
                     finegray = finegray_cases), "fine_gray.json")
