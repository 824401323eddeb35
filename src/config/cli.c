/* cli.c: argv parsing with getopt_long and --help, both generated from option_table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "config/options.h"

/* Every long option with a dash has a second spelling with underscores (--time_column), as
 * config keys have; the names live as long as the process. */
static const char *
underscore_name(int i)
{
	static char names[OPT_COUNT][32];

	if (!strchr(option_table[i].name, '-'))
		return NULL;
	snprintf(names[i], sizeof(names[i]), "%s", option_table[i].name);
	for (char *p = names[i]; *p; p++)
		if (*p == '-')
			*p = '_';
	return names[i];
}

static int
build_getopt(unsigned command, struct option *longopts, char *shortopts)
{
	int n = 0;
	char *s = shortopts;

	*s++ = '+'; /* stop at the first non-option: no argv permutation surprises */
	*s++ = ':'; /* report a missing argument as ':' */
	for (int i = 0; i < OPT_COUNT; i++)
	{
		const OptionDef *o = &option_table[i];
		if (!(o->commands & command) || !(o->where & WHERE_CLI))
			continue;
		bool arg = o->kind != OPT_KIND_BOOL;
		const char *alias = underscore_name(i);
		longopts[n++] =
			(struct option){o->name, arg ? required_argument : no_argument, NULL, 1000 + i};
		/* Same val: getopt_long does not count the pair as ambiguous for an abbreviation. */
		if (alias)
			longopts[n++] =
				(struct option){alias, arg ? required_argument : no_argument, NULL, 1000 + i};
		if (o->short_name)
		{
			*s++ = o->short_name;
			if (arg)
				*s++ = ':';
		}
	}
	*s = '\0';
	longopts[n] = (struct option){NULL, 0, NULL, 0};
	return n;
}

static int
option_for_short(unsigned command, int c)
{
	for (int i = 0; i < OPT_COUNT; i++)
		if (option_table[i].short_name == c && (option_table[i].commands & command))
			return i;
	return -1;
}

static bool
usage_error(EbbError *err, const char *command_name, bool missing_arg, const char *arg)
{
	if (missing_arg)
		error_set(err, EBB_ERR_USAGE, "option \"%s\" requires an argument", text_escape(arg).s);
	else
		error_set(err, EBB_ERR_USAGE, "unrecognized option \"%s\"", text_escape(arg).s);
	error_hint(err, "Try \"ebb %s --help\" for more information.", command_name);
	return false;
}

static bool
getopt_failure(int c, char **argv, const char *command_name, EbbError *err)
{
	const char *arg = argv[optind - 1];
	char shortname[3] = {'-', (char) optopt, '\0'};
	char longname[40];

	/* For a long option, glibc sets optopt to the option's value (>= 1000 here), not 0. */
	if (optopt >= 1000 && c == '?')
	{
		error_set(err, EBB_ERR_USAGE, "option \"--%s\" does not take an argument",
				  option_table[optopt - 1000].name);
		error_hint(err, "Try \"ebb %s --help\" for more information.", command_name);
		return false;
	}
	/* The canonical name, whichever spelling or abbreviation was typed. */
	if (optopt >= 1000)
	{
		snprintf(longname, sizeof(longname), "--%s", option_table[optopt - 1000].name);
		arg = longname;
	}
	else if (optopt > 0)
		arg = shortname;
	if (c == ':')
		return usage_error(err, command_name, true, arg);
	return usage_error(err, command_name, false, arg);
}

/* -t A -t B would archive only B without a word: a value option may be given once. */
static bool
repeated_option(int id, EbbError *err)
{
	error_set(err, EBB_ERR_USAGE, "option --%s specified more than once", option_table[id].name);
	error_hint(err, "Give each option once; only --database, --include and --exclude may be "
					"repeated.");
	return false;
}

/* One option from argv into the layer. */
static bool
store_option(int id, OptLayer *cli, EbbError *err)
{
	const OptionDef *o = &option_table[id];
	char origin[64];

	snprintf(origin, sizeof(origin), "option --%s", o->name);
	if (o->kind == OPT_KIND_BOOL)
	{
		/* -v -v raises verbosity: count repeats in the value */
		const char *prev = cli->slot[id].set ? cli->slot[id].value : "0";
		char count[16];
		snprintf(count, sizeof(count), "%d", atoi(prev) + 1);
		opt_layer_set(cli, (OptId) id, count, origin);
		return true;
	}
	if (o->kind != OPT_KIND_LIST && cli->slot[id].set)
		return repeated_option(id, err);
	opt_layer_set(cli, (OptId) id, optarg, origin);
	return true;
}

bool
options_parse_argv(unsigned command, const char *command_name, int argc, char **argv, OptLayer *cli,
				   StrList *positional, EbbError *err)
{
	struct option longopts[2 * OPT_COUNT + 1];
	char shortopts[3 * OPT_COUNT + 3];
	int c;

	build_getopt(command, longopts, shortopts);
	optind = 0; /* 0, not 1: a full reset of glibc's getopt, even after a failed parse */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
	{
		if (c == '?' || c == ':')
			return getopt_failure(c, argv, command_name, err);
		int id = c >= 1000 ? c - 1000 : option_for_short(command, c);
		if (id < 0)
			return usage_error(err, command_name, false, argv[optind - 1]);
		if (!store_option(id, cli, err))
			return false;
	}
	for (int i = optind; i < argc; i++)
		strlist_add(positional, argv[i]);
	return true;
}

void
options_print_help(unsigned command, const char *command_name, const char *summary)
{
	const char *group = NULL;

	printf("ebb %s: %s\n\nUsage:\n  ebb %s [OPTION]...\n", command_name, summary, command_name);
	/* Groups in table order; an option prints under the first appearance of its group. */
	for (int g = 0; g < OPT_COUNT; g++)
	{
		const OptionDef *head = &option_table[g];
		if (!(head->commands & command) || (group && strcmp(group, head->group) == 0))
			continue;
		bool seen = false;
		for (int k = 0; k < g; k++)
			if ((option_table[k].commands & command) &&
				strcmp(option_table[k].group, head->group) == 0)
				seen = true;
		if (seen)
			continue;
		group = head->group;
		printf("\n%s options:\n", group);
		for (int i = g; i < OPT_COUNT; i++)
		{
			const OptionDef *o = &option_table[i];
			char left[64];
			if (!(o->commands & command) || strcmp(o->group, group) != 0)
				continue;
			char shortpart[8] = "    ";
			if (o->short_name)
				snprintf(shortpart, sizeof(shortpart), "-%c, ", o->short_name);
			snprintf(left, sizeof(left), "%s--%s%s%s", shortpart, o->name, o->metavar ? "=" : "",
					 o->metavar ? o->metavar : "");
			printf("  %-30s %s", left, o->help);
			if (o->default_value)
				printf(" (default: %s)", o->default_value);
			/* Where the option may also be set in the config file, if this command reads one. */
			bool has_config = option_table[OPT_CONFIG].commands & command;
			if (has_config && (o->where & WHERE_TABLE))
				printf(" [config: defaults, table]");
			else if (has_config && (o->where & WHERE_DEFAULTS))
				printf(" [config: defaults]");
			printf("\n");
		}
	}
	printf(
		"\nAn option (and a config key) may also be spelled with underscores: --time_column.\n"
		"An option with a value may be given once; --database, --include and --exclude repeat.\n");
	printf(
		"\nEnvironment: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE and the other\n"
		"libpq variables apply.\n");
}
