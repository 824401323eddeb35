/*
 * conninfo.h: finds a password in a libpq connection string or URI without libpq's parser.
 * PQconninfoParse keeps only the last value of a repeated key ("password=x password=" reads as
 * no password) and its error messages may quote a value, so a string from the command line is
 * scanned first, by libpq's own syntax rules.
 */
#ifndef EBB_PG_CONNINFO_H
#define EBB_PG_CONNINFO_H

#include <stdbool.h>

/*
 * Does the string set a password, with any value (even empty), anywhere: a "password" (or
 * "sslpassword", the client key's passphrase) key of a key=value string, the password of a
 * postgresql:// URI's user info (user:pw@), or such a key in its query (?password=, key names
 * percent-decoded as libpq decodes them)? Keys compare without regard to case.
 */
bool pg_conninfo_has_password(const char *conninfo);

#endif
