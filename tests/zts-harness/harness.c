/*
 * A multi-threaded embed SAPI host for a ZTS PHP, the way FrankenPHP and
 * Apache's worker MPM run PHP: the engine is started once (MINIT of every
 * extension, on the main thread), then several threads each run their own
 * requests (php_request_startup / php_execute_script / php_request_shutdown)
 * in a loop, concurrently.
 *
 * Each thread has its own INI settings, applied before every request the way
 * apache2handler applies php_admin_value (sapi/apache2handler/apache_config.c
 * apply_config(): zend_alter_ini_entry_chars(name, value, len, PHP_INI_SYSTEM,
 * PHP_INI_STAGE_ACTIVATE), called before php_request_startup; the engine
 * restores the php.ini value at php_request_shutdown).
 *
 *   harness [-c php.ini] [-r requests] [-x copies] [-T 'name=value;name=value']... script.php
 *
 *   -c FILE   php.ini to read (extension=..., extension_dir=...); default
 *             $HARNESS_INI, else PHP's usual search.
 *   -T SPEC   one thread (repeatable) with these per-request settings,
 *             ';'-separated name=value pairs ('' for none). Alternatives
 *             separated by '|' are taken in turn, one per request (a thread
 *             that serves several vhosts one after the other).
 *   -x N      run N threads of every -T spec (default 1).
 *   -r N      requests per thread (default 20).
 *
 * Output: every line a request prints goes to stdout as
 *   "T<thread> R<request> | <line>"
 * written in one piece after the request ends (threads' lines never mix
 * within a request). $_SERVER['HARNESS_THREAD'], ['HARNESS_SPEC'] ("spec.
 * alternative", e.g. "3.2"), ['HARNESS_REQUEST'] and ['HARNESS_REQUESTS']
 * (this thread's number of requests) tell the script who runs it. Exit status: 0, or 1 if a
 * request failed to start or a setting was refused.
 */
#include <main/php.h>
#include <main/SAPI.h>
#include <main/php_main.h>
#include <main/php_variables.h>
#include <main/php_ini.h>
#include <sapi/embed/php_embed.h>
#include <Zend/zend_ini.h>
#include <Zend/zend_stream.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ZTS
#error "the harness needs a thread-safe (ZTS) PHP"
#endif

struct setting { char *name; char *value; };
struct alt { struct setting *settings; int count; };
struct spec { int index; struct alt alts[16]; int nalts; };
struct worker { pthread_t tid; int number; struct spec *spec; };

static const char *script_path;
static int requests = 20;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start_barrier;
static atomic_int failures;

/* The running request's output, per thread. */
static __thread char *buf;
static __thread size_t buf_len, buf_cap;
static __thread struct worker *self;
static __thread int request_no;

static void buf_append(const char *s, size_t n)
{
	if (buf_len + n + 1 > buf_cap) {
		buf_cap = (buf_len + n + 1) * 2;
		buf = realloc(buf, buf_cap);
		if (!buf) { perror("realloc"); abort(); }
	}
	memcpy(buf + buf_len, s, n);
	buf_len += n;
	buf[buf_len] = '\0';
}

static size_t harness_ub_write(const char *str, size_t len)
{
	if (self) {
		buf_append(str, len);
	} else {
		fwrite(str, 1, len, stdout);   /* startup output, main thread */
	}
	return len;
}

static void harness_log_message(const char *message, int syslog_type)
{
	(void) syslog_type;
	if (self) {
		buf_append("[log] ", 6);
		buf_append(message, strlen(message));
		buf_append("\n", 1);
	} else {
		fprintf(stderr, "harness (main): %s\n", message);
	}
}

static void harness_register_variables(zval *track_vars_array)
{
	char n[32];
	php_import_environment_variables(track_vars_array);
	php_register_variable("PHP_SELF", (char *) script_path, track_vars_array);
	if (self) {
		snprintf(n, sizeof n, "%d", self->number);
		php_register_variable("HARNESS_THREAD", n, track_vars_array);
		snprintf(n, sizeof n, "%d.%d", self->spec->index, (request_no - 1) % self->spec->nalts + 1);
		php_register_variable("HARNESS_SPEC", n, track_vars_array);
		snprintf(n, sizeof n, "%d", request_no);
		php_register_variable("HARNESS_REQUEST", n, track_vars_array);
		snprintf(n, sizeof n, "%d", requests);
		php_register_variable("HARNESS_REQUESTS", n, track_vars_array);
	}
}

/* Prints the request's output, each line prefixed, in one locked write. */
static void flush_request(void)
{
	char prefix[48];
	int plen = snprintf(prefix, sizeof prefix, "T%d R%d | ", self->number, request_no);
	pthread_mutex_lock(&out_lock);
	const char *p = buf ? buf : "";
	if (!*p) {
		fwrite(prefix, 1, plen, stdout);
		fputs("(no output)\n", stdout);
	}
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t) (nl - p) : strlen(p);
		fwrite(prefix, 1, plen, stdout);
		fwrite(p, 1, n, stdout);
		fputc('\n', stdout);
		p += n + (nl ? 1 : 0);
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
	buf_len = 0;
	if (buf) buf[0] = '\0';
}

/* php_admin_value, as apache2handler's apply_config() does it. */
static void apply_settings(struct alt *alt)
{
	for (int i = 0; i < alt->count; i++) {
		zend_string *name = zend_string_init(alt->settings[i].name, strlen(alt->settings[i].name), 0);
		const char *value = alt->settings[i].value;
		if (zend_alter_ini_entry_chars(name, value, strlen(value), PHP_INI_SYSTEM, PHP_INI_STAGE_ACTIVATE) == FAILURE) {
			char msg[512];
			int n = snprintf(msg, sizeof msg, "[harness] setting %s=%s was refused\n", alt->settings[i].name, value);
			buf_append(msg, (size_t) n);
			atomic_fetch_add(&failures, 1);
		}
		zend_string_release(name);
	}
}

static void *worker_main(void *arg)
{
	self = arg;
	/* This thread's copy of every global (and of the INI table). */
	(void) ts_resource(0);
	pthread_barrier_wait(&start_barrier);

	for (request_no = 1; request_no <= requests; request_no++) {
		apply_settings(&self->spec->alts[(request_no - 1) % self->spec->nalts]);
		SG(options) |= SAPI_OPTION_NO_CHDIR;
		SG(request_info).argc = 0;
		SG(request_info).argv = NULL;
		SG(request_info).path_translated = (char *) script_path;
		if (php_request_startup() == FAILURE) {
			buf_append("[harness] php_request_startup failed\n", 37);
			atomic_fetch_add(&failures, 1);
			php_request_shutdown(NULL);
			flush_request();
			continue;
		}
		SG(headers_sent) = 1;
		SG(request_info).no_headers = 1;
		zend_first_try {
			zend_file_handle fh;
			zend_stream_init_filename(&fh, script_path);
			php_execute_script(&fh);
			zend_destroy_file_handle(&fh);
		} zend_end_try();
		php_request_shutdown(NULL);
		SG(request_info).path_translated = NULL;
		flush_request();
	}
	ts_free_thread();
	free(buf);
	buf = NULL;
	return NULL;
}

static struct spec parse_spec(int index, const char *text)
{
	struct spec s = { .index = index };
	char *copy = strdup(text), *save_alt = NULL;
	/* strtok_r skips empty fields: an empty text is one empty alternative. */
	char *alt_text = strtok_r(copy, "|", &save_alt);
	do {
		struct alt *a = &s.alts[s.nalts];
		if (s.nalts == 16) { fputs("harness: at most 16 alternatives\n", stderr); exit(2); }
		s.nalts++;
		char *save = NULL;
		for (char *tok = alt_text ? strtok_r(alt_text, ";", &save) : NULL; tok; tok = strtok_r(NULL, ";", &save)) {
			char *eq = strchr(tok, '=');
			if (!eq) { fprintf(stderr, "harness: bad setting '%s' (name=value)\n", tok); exit(2); }
			*eq = '\0';
			a->settings = realloc(a->settings, sizeof *a->settings * (a->count + 1));
			a->settings[a->count].name = strdup(tok);
			a->settings[a->count].value = strdup(eq + 1);
			a->count++;
		}
	} while ((alt_text = strtok_r(NULL, "|", &save_alt)) != NULL);
	free(copy);
	return s;
}

int main(int argc, char **argv)
{
	const char *ini = getenv("HARNESS_INI");
	struct spec specs[64];
	int nspecs = 0, copies = 1, opt;

	while ((opt = getopt(argc, argv, "c:r:x:T:")) != -1) {
		switch (opt) {
		case 'c': ini = optarg; break;
		case 'r': requests = atoi(optarg); break;
		case 'x': copies = atoi(optarg); break;
		case 'T':
			if (nspecs == 64) { fputs("harness: too many -T\n", stderr); return 2; }
			specs[nspecs] = parse_spec(nspecs + 1, optarg);
			nspecs++;
			break;
		default:
			fputs("usage: harness [-c php.ini] [-r requests] [-x copies] [-T 'name=value;...|...']... script.php\n", stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || requests < 1 || copies < 1) {
		fputs("usage: harness [-c php.ini] [-r requests] [-x copies] [-T 'name=value;...|...']... script.php\n", stderr);
		return 2;
	}
	script_path = argv[optind];
	if (nspecs == 0) specs[nspecs++] = parse_spec(1, "");

	/* What php_embed_init() does, without its request on the main thread. */
	php_tsrm_startup();
	zend_signal_startup();
	sapi_startup(&php_embed_module);
	php_embed_module.ini_entries =
		"html_errors=0\n"
		"display_errors=1\n"
		"display_startup_errors=1\n"
		"log_errors=0\n"
		"implicit_flush=1\n"
		"output_buffering=0\n"
		"max_execution_time=0\n"
		"max_input_time=-1\n";
	if (ini) php_embed_module.php_ini_path_override = (char *) ini;
	php_embed_module.ub_write = harness_ub_write;
	php_embed_module.log_message = harness_log_message;
	php_embed_module.register_server_variables = harness_register_variables;
	php_embed_module.executable_location = argv[0];
	if (php_embed_module.startup(&php_embed_module) == FAILURE) {
		fputs("harness: module startup failed\n", stderr);
		return 1;
	}

	int nworkers = nspecs * copies;
	struct worker *workers = calloc((size_t) nworkers, sizeof *workers);
	pthread_barrier_init(&start_barrier, NULL, (unsigned) nworkers);
	for (int i = 0; i < nworkers; i++) {
		workers[i].number = i + 1;
		workers[i].spec = &specs[i % nspecs];
		if (pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	for (int i = 0; i < nworkers; i++) pthread_join(workers[i].tid, NULL);

	php_module_shutdown();
	sapi_shutdown();
	tsrm_shutdown();
	fprintf(stderr, "harness: %d threads x %d requests done, %d failures\n", nworkers, requests, atomic_load(&failures));
	return atomic_load(&failures) ? 1 : 0;
}
