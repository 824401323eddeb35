/* check.c: see check.h. */
#include "doctor/check.h"

void
doctor_check_report(const DoctorCheck *c, DoctorSeverity sev, const char *check,
					const char *subject, const char *fix, bool fixed, const char *message)
{
	DoctorFinding f = {sev, check, subject, message, fix, fixed};

	if (sev == DOCTOR_PROBLEM && !fixed)
		c->out->problems++;
	c->build->report->finding(c->build->report->arg, &f);
}
