source("reference_json.R")
script <- "make_parametric.R"

# Reference values for parametric accelerated failure time models, R's survreg.
#
#     cd tests/reference && Rscript make_parametric.R
#
# Every fit runs with survreg.control(rel.tolerance = 1e-12, iter.max = 100) so that R stops at the
# optimum, not 1e-9 short of it; one case keeps R's default control to hold Followup to R's own
# iteration path (same iterations, same not-quite-converged coefficients).
#
# Besides what survreg prints (coefficients, Log(scale), var, loglik, the likelihood-ratio chisq
# print.survreg shows, iterations) each case writes:
#   predict(fit, newdata, type = "quantile", p = probs, se.fit = TRUE) for a few covariate profiles;
#   survival at times, 1 - psurvreg(t, lp, scale), with a delta-method interval computed here by
#     hand on the z = (log t - lp) / scale scale: var(z) = g' V g, g = (-x / scale, -z) for
#     (coefficients, log scale), limits 1 - F(z +/- q se(z)) and se(S) = f(z) se(z);
#   for the Weibull and exponential, the proportional-hazards form a statistician reports
#     (SurvRegCensCov::ConvertWeibull's): shape = 1 / scale, rate = exp(-intercept / scale),
#     log hazard ratio = -coef / scale, with delta-method standard errors computed here by hand.
# The exact rows used are written with each dataset, so CI never needs R.

suppressPackageStartupMessages(library(survival))

# ------------------------------------------------------------------------ datasets ---
lung2 <- na.omit(lung[, c("time", "status", "age", "sex", "ph.ecog")])
lung2$status <- lung2$status - 1            # 1/2 coding to 0/1
lung2$freq <- 1 + (lung2$age %% 3)         # integer frequency weights for the weighted case
ovarian2 <- ovarian[, c("futime", "fustat", "ecog.ps", "rx")]
names(ovarian2)[1:2] <- c("time", "status")
vet <- veteran[, c("time", "status", "trt", "celltype", "karno")]
vet$celltype <- as.character(vet$celltype)  # factor() then sorts: adeno, large, smallcell, squamous

datasets <- list(lung = lung2, ovarian = ovarian2, veteran = vet)

profiles <- list(
  lung = data.frame(age = c(50, 65, 75), sex = c(1, 2, 1), ph.ecog = c(0, 1, 2)),
  ovarian = data.frame(ecog.ps = c(1, 2, 1), rx = c(1, 2, 2)),
  veteran = data.frame(trt = c(1, 2, 2), celltype = c("adeno", "squamous", "large"), karno = c(40, 80, 60))
)
times <- list(lung = c(100, 365, 730), ovarian = c(365, 730, 1000), veteran = c(30, 90, 365))
probs <- c(0.1, 0.25, 0.5, 0.75, 0.9)
tight <- survreg.control(rel.tolerance = 1e-12, iter.max = 100)

# ------------------------------------------------------------------------- helpers ---
# The standard (location 0, scale 1) distribution behind each of survreg's names; survival as
# 1 - F computed directly, without the cancellation of 1 - F(z) where it is ~1e-8.
base_surv <- function(dist, z) switch(dist, weibull = , exponential = exp(-exp(z)),
                                      lognormal = pnorm(z, lower.tail = FALSE),
                                      loglogistic = plogis(z, lower.tail = FALSE))
base_density <- function(dist, z) switch(dist, weibull = , exponential = exp(z - exp(z)),
                                         lognormal = dnorm(z), loglogistic = dlogis(z))

# The design row of each profile, and the strata number of each (1 without strata).
profile_design <- function(fit, newdata) {
  mf <- model.frame(delete.response(fit$terms), newdata, xlev = fit$xlevels)
  model.matrix(fit, mf)
}

survival_at <- function(fit, dist, newdata, t, strata_of) {
  x <- profile_design(fit, newdata)
  nvar <- length(coef(fit))
  lp <- drop(x %*% coef(fit))
  fixed <- nrow(fit$var) == nvar
  nscale <- if (fixed) 0 else nrow(fit$var) - nvar
  out <- lapply(seq_len(nrow(x)), function(i) {
    sigma <- fit$scale[strata_of[i]]
    z <- (log(t) - lp[i]) / sigma
    surv <- base_surv(dist, z)
    check <- 1 - psurvreg(t, lp[i], sigma, distribution = dist)   # R's own function agrees
    stopifnot(all(abs(check - surv) <= 1e-14))
    se_z <- sapply(z, function(zz) {
      g <- -x[i, ] / sigma
      if (!fixed) {
        gs <- rep(0, nscale)
        gs[strata_of[i]] <- -zz
        g <- c(g, gs)
      }
      sqrt(drop(t(g) %*% fit$var %*% g))
    })
    q <- qnorm(0.975)
    list(surv = surv, std_err = base_density(dist, z) * se_z,
         lower = base_surv(dist, z + q * se_z), upper = base_surv(dist, z - q * se_z))
  })
  field <- function(k) do.call(rbind, lapply(out, `[[`, k))
  list(times = t, surv = field("surv"), std_err = field("std_err"), lower = field("lower"),
       upper = field("upper"))
}

weibull_hazards <- function(fit) {
  # ConvertWeibull's parametrisation, by the delta method on (coefficients, log scale).
  b <- coef(fit)
  nvar <- length(b)
  sigma <- fit$scale
  fixed <- nrow(fit$var) == nvar
  grad_of <- function(j) {            # gradient of -b[j] / sigma
    g <- rep(0, nrow(fit$var))
    g[j] <- -1 / sigma
    if (!fixed) g[nvar + 1] <- b[j] / sigma
    g
  }
  se_of <- function(g) sqrt(drop(t(g) %*% fit$var %*% g))
  log_hr <- -b[-1] / sigma
  se <- if (nvar > 1) sapply(2:nvar, function(j) se_of(grad_of(j))) else numeric(0)
  q <- qnorm(0.975)
  log_rate <- -b[1] / sigma
  list(
    log_hazard_ratio = unname(log_hr), std_err = se, hazard_ratio = unname(exp(log_hr)),
    lower = unname(exp(log_hr - q * se)), upper = unname(exp(log_hr + q * se)),
    z = unname(log_hr / se), p = unname(2 * pnorm(-abs(log_hr / se))),
    shape = scalar(1 / sigma),
    shape_std_err = scalar(if (fixed) 0 else sqrt(fit$var[nvar + 1, nvar + 1]) / sigma),
    rate = scalar(exp(log_rate)), rate_std_err = scalar(exp(log_rate) * se_of(grad_of(1)))
  )
}

case <- function(name, dataset, formula, dist, weights = NULL, scale = 0, control = tight,
                 strata = NULL) {
  data <- datasets[[dataset]]
  args <- list(formula = formula, data = data, dist = dist, control = control)
  if (!is.null(weights)) args$weights <- data[[weights]]
  if (scale > 0) args$scale <- scale
  fit <- do.call(survreg, args)
  s <- summary(fit)
  nvar <- length(coef(fit))
  df <- sum(fit$df) - fit$idf
  newdata <- profiles[[dataset]]
  strata_of <- if (is.null(strata)) rep(1, nrow(newdata)) else
    match(newdata[[strata]], sort(unique(data[[strata]])))
  pr <- predict(fit, newdata, type = "quantile", p = probs, se.fit = TRUE)
  covariates <- attr(delete.response(terms(formula)), "term.labels")
  covariates <- covariates[!grepl("^strata\\(", covariates)]
  out <- list(
    name = scalar(name), dataset = scalar(dataset), distribution = scalar(dist),
    covariates = covariates, strata = scalar(if (is.null(strata)) NA_character_ else strata),
    weights = scalar(if (is.null(weights)) NA_character_ else weights),
    fixed_scale = scalar(scale), tight = scalar(identical(control, tight)),
    n = scalar(nrow(data)), events = scalar(sum(data$status)),
    columns = names(coef(fit)), coef = unname(coef(fit)), scale = unname(fit$scale),
    var = unname(fit$var), table = list(value = unname(s$table[, 1]), std_err = unname(s$table[, 2]),
                                        z = unname(s$table[, 3]), p = unname(s$table[, 4])),
    loglik = fit$loglik, chisq = scalar(2 * diff(fit$loglik)), df = scalar(df),
    chisq_p = scalar(if (df > 0) pchisq(2 * diff(fit$loglik), df, lower.tail = FALSE) else NA_real_),
    iterations = scalar(fit$iter),
    profiles = newdata,
    quantile = list(p = probs, estimate = unname(matrix(pr$fit, nrow(newdata))),
                    std_err = unname(matrix(pr$se.fit, nrow(newdata)))),
    survival = survival_at(fit, dist, newdata, times[[dataset]], strata_of)
  )
  if (dist %in% c("weibull", "exponential") && is.null(strata)) out$weibull_hazards <- weibull_hazards(fit)
  out
}

lung_formula <- Surv(time, status) ~ age + sex + ph.ecog
cases <- list(
  case("lung_weibull", "lung", lung_formula, "weibull"),
  case("lung_exponential", "lung", lung_formula, "exponential"),
  case("lung_lognormal", "lung", lung_formula, "lognormal"),
  case("lung_loglogistic", "lung", lung_formula, "loglogistic"),
  case("lung_weibull_weighted", "lung", lung_formula, "weibull", weights = "freq"),
  case("lung_weibull_scale_1.5", "lung", lung_formula, "weibull", scale = 1.5),
  case("lung_weibull_default_control", "lung", lung_formula, "weibull", control = survreg.control()),
  case("lung_lognormal_default_control", "lung", lung_formula, "lognormal", control = survreg.control()),
  case("lung_weibull_intercept_only", "lung", Surv(time, status) ~ 1, "weibull"),
  case("lung_exponential_intercept_only", "lung", Surv(time, status) ~ 1, "exponential"),
  case("ovarian_weibull", "ovarian", Surv(time, status) ~ ecog.ps + rx, "weibull"),
  case("ovarian_loglogistic", "ovarian", Surv(time, status) ~ ecog.ps + rx, "loglogistic"),
  case("ovarian_lognormal", "ovarian", Surv(time, status) ~ ecog.ps + rx, "lognormal"),
  case("veteran_celltype_weibull", "veteran", Surv(time, status) ~ trt + celltype + karno, "weibull"),
  case("veteran_celltype_lognormal", "veteran", Surv(time, status) ~ trt + celltype + karno, "lognormal"),
  case("veteran_strata_weibull", "veteran", Surv(time, status) ~ celltype + karno + strata(trt), "weibull",
       strata = "trt"),
  case("veteran_strata_loglogistic", "veteran", Surv(time, status) ~ celltype + karno + strata(trt),
       "loglogistic", strata = "trt")
)

write_reference(list(datasets = datasets, cases = cases), "parametric.json")
