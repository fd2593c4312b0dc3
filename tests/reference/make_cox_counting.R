# Reference values for Cox models on counting-process data (start, stop] and clustered robust SEs.
#
#     cd tests/reference && Rscript make_cox_counting.R
#
# Writes cox_counting.json: the exact rows used (survival's heart, jasa1, cgd, pbc + pbcseq built
# with tmerge as in the "timedep" vignette, lung with artificial entry times), every quantity R's
# coxph reports for each model (coef, naive and robust variance, log-likelihoods, Wald, score,
# robust score and likelihood-ratio tests, concordance with its SE, cox.zph), and tmerge's output
# for per-subject change times, row for row.

suppressPackageStartupMessages({
  library(survival)
})

source("reference_json.R")
script <- "make_cox_counting.R"

# ------------------------------------------------------------------- datasets ---
heart2 <- heart
heart2$transplant <- as.integer(as.character(heart2$transplant))

# pbc + pbcseq, exactly as survival's "timedep" vignette builds them.
base <- subset(pbc, id <= 312, select = c(id:sex, stage, edema))
pbc2 <- tmerge(base, base, id = id, death = event(time, status))
pbc2 <- tmerge(pbc2, pbcseq, id = id, ascites = tdc(day, ascites), bili = tdc(day, bili),
               albumin = tdc(day, albumin), protime = tdc(day, protime), alk.phos = tdc(day, alk.phos))
pbc2$dead <- as.integer(pbc2$death == 2)
pbc2$log_bili <- log(pbc2$bili)
pbc2$log_protime <- log(pbc2$protime)
pbc2$log_albumin <- log(pbc2$albumin)

cgd2 <- cgd
cgd2$treat <- as.character(cgd2$treat)
cgd2$inherit <- as.character(cgd2$inherit)
cgd2$hos_cat <- as.character(cgd2$hos.cat)
cgd2$wt <- 1 + (cgd2$id %% 3) / 2            # non-integer case weights, constant within subject

# lung with delayed entry: each subject enters at a fraction of its follow-up (whole days).
lung3 <- na.omit(lung[, c("inst", "time", "status", "age", "sex", "ph.ecog")])
lung3$status <- lung3$status - 1
set.seed(15)
lung3$entry <- floor(lung3$time * runif(nrow(lung3), 0, 0.6))
lung3$freq <- 1 + (lung3$age %% 3)

datasets <- list(
  heart = as.list(heart2[, c("id", "start", "stop", "event", "age", "year", "surgery", "transplant")]),
  jasa1 = as.list(jasa1[, c("id", "start", "stop", "event", "age", "year", "surgery", "transplant")]),
  pbc_timedep = as.list(pbc2[, c("id", "tstart", "tstop", "dead", "log_bili", "log_protime",
                                 "log_albumin", "edema", "age")]),
  cgd = as.list(cgd2[, c("id", "tstart", "tstop", "status", "treat", "inherit", "steroids",
                         "hos_cat", "wt")]),
  lung_entry = as.list(lung3)
)

# ------------------------------------------------------------------------ Cox ---
table_of <- function(z) list(terms = rownames(z$table), chisq = unname(z$table[, "chisq"]),
                             df = unname(z$table[, "df"]), p = unname(z$table[, "p"]))

cox_case <- function(name, dataset, formula, data, ties = "efron", weights = NULL,
                     cluster = NULL, strata = "", inputs) {
  args <- list(formula = formula, data = data, ties = ties)
  if (!is.null(weights)) args$weights <- data[[weights]]
  if (!is.null(cluster)) args$cluster <- data[[cluster]]
  fit <- do.call(coxph, args)
  s <- summary(fit)
  robust <- !is.null(fit$naive.var)
  out <- list(
    name = scalar(name), dataset = scalar(dataset), formula = scalar(paste(deparse(formula), collapse = "")),
    ties = scalar(ties), weights = scalar(if (is.null(weights)) "" else weights),
    cluster = scalar(if (is.null(cluster)) "" else cluster), strata = scalar(strata),
    inputs = inputs, robust = scalar(robust),
    terms = names(coef(fit)), coef = unname(coef(fit)),
    var = unname(if (robust) fit$naive.var else fit$var),
    loglik = fit$loglik, n = scalar(fit$n), nevent = scalar(fit$nevent), iter = scalar(fit$iter),
    # With a cluster R's Wald test uses the robust variance; fit$wald.test is unrounded.
    wald = list(chisq = scalar(unname(fit$wald.test)), df = scalar(s$waldtest[["df"]]),
                p = scalar(s$waldtest[["pvalue"]])),
    score = list(chisq = scalar(s$sctest[["test"]]), df = scalar(s$sctest[["df"]]),
                 p = scalar(s$sctest[["pvalue"]])),
    lr = list(chisq = scalar(s$logtest[["test"]]), df = scalar(s$logtest[["df"]]),
              p = scalar(s$logtest[["pvalue"]])),
    hr_lower = unname(s$conf.int[, "lower .95"]), hr_upper = unname(s$conf.int[, "upper .95"]),
    concordance = list(concordant = scalar(fit$concordance[["concordant"]]),
                       discordant = scalar(fit$concordance[["discordant"]]),
                       tied_x = scalar(fit$concordance[["tied.x"]]),
                       tied_y = scalar(fit$concordance[["tied.y"]]),
                       tied_xy = scalar(fit$concordance[["tied.xy"]]),
                       estimate = scalar(fit$concordance[["concordance"]]),
                       std_err = scalar(fit$concordance[["std"]])),
    zph = table_of(cox.zph(fit)),
    zph_identity = table_of(cox.zph(fit, transform = "identity")),
    zph_rank = table_of(cox.zph(fit, transform = "rank")),
    zph_by_column = table_of(cox.zph(fit, terms = FALSE))
  )
  if (robust) {
    out$robust_var <- unname(fit$var)
    out$robust_se <- unname(sqrt(diag(fit$var)))
    out$robust_score <- list(chisq = scalar(unname(fit$rscore)), df = scalar(s$robscore[["df"]]),
                             p = scalar(s$robscore[["pvalue"]]))
  }
  out
}

inputs <- function(start, stop, event, covariates, id = "", references = list())
  list(start = scalar(start), stop = scalar(stop), event = scalar(event), covariates = covariates,
       id = scalar(id), references = references)

heart_in <- inputs("start", "stop", "event", c("age", "year", "surgery", "transplant"))
pbc_in <- inputs("tstart", "tstop", "dead", c("log_bili", "log_protime", "log_albumin", "edema", "age"))
# Character factors: R orders levels by locale collation ("autosomal" before "X-linked").
cgd_in <- inputs("tstart", "tstop", "status", c("treat", "inherit", "steroids"),
                 references = list(treat = scalar("placebo"), inherit = scalar("autosomal")))
lung_in <- inputs("entry", "time", "status", c("age", "sex", "ph.ecog"))
lung_right <- inputs("", "time", "status", c("age", "sex", "ph.ecog"))

cox_cases <- list(
  cox_case("heart_efron", "heart", Surv(start, stop, event) ~ age + year + surgery + transplant,
           heart2, inputs = heart_in),
  cox_case("heart_breslow", "heart", Surv(start, stop, event) ~ age + year + surgery + transplant,
           heart2, ties = "breslow", inputs = heart_in),
  cox_case("jasa1_cluster", "jasa1", Surv(start, stop, event) ~ age + year + surgery + transplant,
           jasa1, cluster = "id", inputs = heart_in),
  cox_case("pbc_timedep", "pbc_timedep",
           Surv(tstart, tstop, dead) ~ log_bili + log_protime + log_albumin + edema + age,
           pbc2, inputs = pbc_in),
  cox_case("pbc_timedep_breslow_cluster", "pbc_timedep",
           Surv(tstart, tstop, dead) ~ log_bili + log_protime + log_albumin + edema + age,
           pbc2, ties = "breslow", cluster = "id", inputs = pbc_in),
  cox_case("cgd_cluster", "cgd", Surv(tstart, tstop, status) ~ treat + inherit + steroids,
           cgd2, cluster = "id", inputs = cgd_in),
  cox_case("cgd_strata_cluster", "cgd",
           Surv(tstart, tstop, status) ~ treat + inherit + steroids + strata(hos_cat),
           cgd2, cluster = "id", strata = "hos_cat", inputs = cgd_in),
  cox_case("cgd_breslow_strata", "cgd",
           Surv(tstart, tstop, status) ~ treat + inherit + steroids + strata(hos_cat),
           cgd2, ties = "breslow", strata = "hos_cat", inputs = cgd_in),
  cox_case("cgd_weighted_cluster", "cgd", Surv(tstart, tstop, status) ~ treat + inherit + steroids,
           cgd2, weights = "wt", cluster = "id", inputs = cgd_in),
  cox_case("lung_entry", "lung_entry", Surv(entry, time, status) ~ age + sex + ph.ecog,
           lung3, inputs = lung_in),
  cox_case("lung_entry_weighted", "lung_entry", Surv(entry, time, status) ~ age + sex + ph.ecog,
           lung3, weights = "freq", inputs = lung_in),
  cox_case("lung_entry_breslow_strata", "lung_entry",
           Surv(entry, time, status) ~ age + ph.ecog + strata(sex),
           lung3, ties = "breslow", weights = "freq", strata = "sex",
           inputs = inputs("entry", "time", "status", c("age", "ph.ecog"))),
  cox_case("lung_entry_cluster_inst", "lung_entry", Surv(entry, time, status) ~ age + sex + ph.ecog,
           lung3, weights = "freq", cluster = "inst", inputs = lung_in),
  # Right-censored data clustered by institution: the hospital cluster of a multi-centre study.
  cox_case("lung_cluster_inst", "lung_entry", Surv(time, status) ~ age + sex + ph.ecog,
           lung3, cluster = "inst", inputs = lung_right),
  cox_case("lung_cluster_inst_strata_breslow", "lung_entry",
           Surv(time, status) ~ age + ph.ecog + strata(sex),
           lung3, ties = "breslow", cluster = "inst", strata = "sex",
           inputs = inputs("", "time", "status", c("age", "ph.ecog")))
)

# --------------------------------------------------------------------- tmerge ---
# Per-subject follow-up with change times that hit every case tmerge distinguishes: a change at 0,
# before entry, strictly inside, tied with the event or censoring time, after the last follow-up,
# two changes at one time, and none (NA).
subjects <- data.frame(
  id     = c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
  time   = c(10, 10, 7.5, 20, 5, 12, 30, 8, 8, 15, 1, 40),
  status = c(1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1),
  sct    = c(0, 4, 7.5, NA, 5, 6, 31, 2.5, -3, 15, 0.5, 10),
  relapse = c(NA, 4, 3, 12, 2, NA, 10, 2.5, 4, 3, NA, 39.5)
)
tm <- tmerge(subjects[, c("id", "time", "status")], subjects, id = id, death = event(time, status),
             sct = tdc(sct), relapse = tdc(relapse))
# Stanford heart transplant data as the vignette builds it, here without its half-day fix of a
# transplant on the day of death, so that one change ties with the event time.
jasa$subject <- seq_len(nrow(jasa))
jd <- with(jasa, data.frame(subject = subject, futime = pmax(0.5, as.numeric(fu.date - accept.dt)),
                            txtime = as.numeric(tx.date - accept.dt), fustat = fustat))
jm <- tmerge(jd, jd, id = subject, death = event(futime, fustat), trt = tdc(txtime))
tmerge_cases <- list(
  list(name = scalar("edge_cases"), subjects = as.list(subjects),
       rows = list(id = tm$id, start = tm$tstart, stop = tm$tstop, event = tm$death,
                   sct = tm$sct, relapse = tm$relapse)),
  list(name = scalar("jasa"), subjects = list(id = jd$subject, time = jd$futime, status = jd$fustat,
                                              trt = jd$txtime),
       rows = list(id = jm$subject, start = jm$tstart, stop = jm$tstop, event = jm$death,
                   trt = jm$trt))
)

write_reference(list(datasets = datasets, cox = cox_cases, tmerge = tmerge_cases), "cox_counting.json")
