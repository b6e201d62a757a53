/*
 * console_screen: curses and the console's one loop. Each turn: refresh
 * the views' inputs, draw the current view and the frame, then wait in
 * poll(2) on the terminal until the next tick (the refresh period) or a
 * key. Keys resolve through the view's table, then the global one; the
 * reaction bits they return are acted on here and nowhere else (htop's
 * ScreenManager idiom). A key redraws at once; the tick keeps its pace.
 *
 * Signals only set flags: SIGWINCH (resize at the next turn) here, and
 * SIGINT, SIGTERM and SIGHUP (leave) in runtime.c, which holds them blocked
 * in every other thread, so they interrupt this loop's poll at once. Curses
 * is set up with newterm on stdout, so the terminal is restored by endwin
 * whatever way the loop ends — unless it has been hung up (closed): then
 * there is nothing to restore, and curses is pointed at /dev/null to put
 * itself away without writing to a dead terminal.
 */
#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "alerts.h"
#include "console.h"
#include "theme.h"
#include "base/util.h"
#include "view.h"

static volatile sig_atomic_t resized;

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static void signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
}

/* The terminal was hung up: a tty that now answers everything with EIO. */
static int terminal_gone(void)
{
	struct termios t;
	return tcgetattr(STDOUT_FILENO, &t) != 0 && errno == EIO;
}

/* Points the terminal's descriptors at /dev/null, for curses to leave into. */
static void detach_terminal(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
}

static void draw(struct lv_console *c)
{
	struct lv_screen_layout scr;
	const struct lv_view_ops *ops = lv_view_registry()[c->ui.view];
	erase();
	lv_layout_screen(LINES, COLS, &scr);
	c->ui.rows_total = c->ui.rows_all = 0;
	lv_view_draw(ops, &c->ui, c->states[c->ui.view], &scr.body);
	curs_set(0);
	lv_view_draw_frame(&c->ui, &scr);
	if (c->ui.prompt_kind && c->ui.prompt_kind != '?')
		curs_set(1);
	refresh();
	c->frames++;
	struct lv_alert a[LV_ALERT_MAX];
	size_t n = lv_alerts(&c->ui, a, LV_ALERT_MAX), bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += a[i].level > LV_ALERT_INFO;
	if (c->opts.bell && bad > c->alerts)
		beep();
	c->alerts = bad;
}

static void open_prompt(struct lv_ui *ui, int kind, const char *text)
{
	ui->prompt_kind = kind;
	ui->hint[0] = '\0';
	lv_line_set(&ui->line, text);
}

/* Quitting: at once when nothing is in flight or forced, else ask once. */
static void want_quit(struct lv_console *c, int force)
{
	char what[100];
	if (force || !lv_console_work_in_flight(c, what, sizeof(what))) {
		c->quit = 2;
		return;
	}
	c->quit = 0;
	c->ui.prompt_kind = '?';
	snprintf(c->ui.question, sizeof(c->ui.question),
	         "%s. Quit anyway? (y or q: quit, any other key: stay)", what);
}

static void react(struct lv_console *c, unsigned r)
{
	struct lv_ui *ui = &c->ui;
	if (r & LV_REACT_SWITCH)
		lv_console_switch(c, ui->next_view);
	if (r & LV_REACT_BACK)
		lv_console_back(c);
	if (r & LV_REACT_REQUEST) {
		struct lv_cmd cmd = ui->req;
		lv_console_request(c, &cmd);
	}
	if (r & LV_REACT_PROMPT)
		open_prompt(ui, ui->prompt_init_kind, ui->prompt_init);
	if (r & LV_REACT_QUIT)
		c->quit = 1;
	if (c->quit == 1)
		want_quit(c, 0);
	else if (c->quit == 2)
		want_quit(c, 1);
}

static int edit_op(int ch, enum lv_edit_op *op)
{
	switch (ch) {
	case KEY_BACKSPACE:
	case 127:
	case 8: *op = LV_EDIT_BACKSPACE; return 1;
	case KEY_DC: *op = LV_EDIT_DELETE; return 1;
	case KEY_LEFT: *op = LV_EDIT_LEFT; return 1;
	case KEY_RIGHT: *op = LV_EDIT_RIGHT; return 1;
	case KEY_HOME:
	case 1: *op = LV_EDIT_HOME; return 1;
	case KEY_END:
	case 5: *op = LV_EDIT_END; return 1;
	case 21: *op = LV_EDIT_KILL; return 1;
	case 23: *op = LV_EDIT_WORD; return 1;
	default: *op = LV_EDIT_INSERT; return ch >= 0x20 && ch < 0x7f;
	}
}

/* A key while the command or filter bar is open. */
static void prompt_key(struct lv_console *c, int ch)
{
	struct lv_ui *ui = &c->ui;
	int kind = ui->prompt_kind;
	enum lv_edit_op op;
	if (kind == ':' && (ch == KEY_UP || ch == KEY_DOWN)) { /* the history, as in a shell */
		const char *t = lv_history_walk(&c->history, ch == KEY_UP ? -1 : 1, ui->line.buf);
		if (t)
			lv_line_set(&ui->line, t);
		ui->hint[0] = '\0';
		return;
	}
	if (ch == 27) { /* Esc: nothing typed is kept; in the filter bar, no filter */
		lv_history_reset(&c->history);
		ui->prompt_kind = 0;
		if (kind == '/')
			ui->filter[ui->view][0] = '\0';
		return;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		ui->prompt_kind = 0;
		if (kind == ':') {
			char *why = NULL;
			if (lv_history_add(&c->history, ui->line.buf, &why) != LV_OK) {
				lv_console_note(c, LV_LOG_WARN, "command history not kept: %s",
				                why);
				free(c->history.path); /* said once: memory only from here */
				c->history.path = NULL;
			}
			free(why);
			lv_console_command_line(c, ui->line.buf);
		} else
			snprintf(ui->filter[ui->view], sizeof(ui->filter[0]), "%.63s",
			         ui->line.buf);
		if (c->quit)
			want_quit(c, c->quit == 2);
		return;
	}
	if (ch == '\t' && kind == ':') {
		struct lv_cmd_words w;
		lv_console_words(c, &w);
		if (lv_cmd_complete(ui->line.buf, sizeof(ui->line.buf), &w, ui->hint,
		                    sizeof(ui->hint)) < 2)
			ui->hint[0] = '\0';
		ui->line.len = ui->line.cur = strlen(ui->line.buf);
		return;
	}
	if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && ui->line.len == 0) {
		ui->prompt_kind = 0;
		return;
	}
	if (edit_op(ch, &op) && lv_line_edit(&ui->line, op, ch))
		ui->hint[0] = '\0';
	if (kind == '/') /* the filter applies as it is typed */
		snprintf(ui->filter[ui->view], sizeof(ui->filter[0]), "%.63s", ui->line.buf);
}

static void key(struct lv_console *c, int ch);

/*
 * The mouse: a click on a tab shows that view; in the Cluster view a click
 * on a device row selects it, and a click on the selected row opens it; the
 * wheel scrolls as Up and Down do. Clicks while the bar is open are ignored.
 */
static void mouse(struct lv_console *c)
{
	struct lv_ui *ui = &c->ui;
	MEVENT ev;
	if (getmouse(&ev) != OK || ui->prompt_kind)
		return;
	if (ev.bstate & BUTTON4_PRESSED) {
		key(c, KEY_UP);
		return;
	}
	if (ev.bstate & BUTTON5_PRESSED) {
		key(c, KEY_DOWN);
		return;
	}
	if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return;
	if (ev.y == 0) {
		for (size_t i = 0; i < lv_view_count(); i++)
			if (ev.x >= ui->tab_x[i] && ev.x < ui->tab_x[i] + ui->tab_w[i])
				lv_console_switch(c, (int)i);
		return;
	}
	int k = ev.y - ui->click_y0;
	if (ui->view != lv_view_find("cluster") || !c->snap || k < 0 || k >= ui->click_n ||
	    (size_t)ui->click_dev[k] >= c->snap->n_devices)
		return;
	const char *name = c->snap->devices[ui->click_dev[k]].name;
	if (!strcmp(ui->device, name)) {
		key(c, '\n'); /* the selected row again: open it */
		return;
	}
	snprintf(ui->device, sizeof(ui->device), "%s", name);
}

static void key(struct lv_console *c, int ch)
{
	struct lv_ui *ui = &c->ui;
	if (ch == KEY_RESIZE)
		return;
	if (ch == KEY_MOUSE) {
		mouse(c);
		return;
	}
	if (ui->prompt_kind == '?') {
		ui->prompt_kind = 0;
		if (ch == 'y' || ch == 'Y' || ch == 'q')
			c->quit = 2;
		return;
	}
	if (ui->prompt_kind) {
		prompt_key(c, ch);
		return;
	}
	ch = lv_console_keymap(c, ch); /* console.conf's bindings; never inside the bars */
	const struct lv_view_ops *ops = lv_view_registry()[ui->view];
	unsigned r = lv_view_key(ops, ui, c->states[ui->view], ch);
	if (!(r & LV_REACT_HANDLED))
		r = lv_view_global_key(ui, ch);
	react(c, r);
}

/* Reads every key waiting; returns how many. */
static int keys(struct lv_console *c)
{
	int n = 0, ch;
	while (c->quit != 2 && (ch = getch()) != ERR) {
		key(c, ch);
		n++;
	}
	return n;
}

static void resize(void)
{
	struct winsize ws;
	resized = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

static int done(const struct lv_console *c)
{
	if (lv_runtime_stop_signal() || c->quit == 2)
		return 1;
	if (c->opts.duration_s > 0 && lv_console_now() - c->t0 >= c->opts.duration_s)
		return 1;
	return c->opts.iterations > 0 && c->frames >= c->opts.iterations;
}

static void loop(struct lv_console *c)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	int tty_in = isatty(STDIN_FILENO);
	while (!done(c)) {
		if (resized)
			resize();
		lv_console_feed(c);
		draw(c);
		double next = lv_console_now() + c->opts.refresh_ms / 1000.0;
		if (c->opts.duration_s > 0 && next > c->t0 + c->opts.duration_s)
			next = c->t0 + c->opts.duration_s;
		while (!done(c) && !resized) {
			double left = next - lv_console_now();
			if (left <= 0)
				break;
			int rc = poll(&pfd, tty_in ? 1 : 0, (int)(left * 1000) + 1);
			if (rc > 0 && (pfd.revents & (POLLHUP | POLLERR)) &&
			    !(pfd.revents & POLLIN))
				tty_in =
				    0; /* the terminal went away: keep drawing until told to stop */
			if (rc > 0 && (pfd.revents & POLLIN) && keys(c) > 0 && !done(c)) {
				lv_console_feed(c);
				draw(c);
			}
		}
	}
}

int lv_console_screen(struct lv_console *c, char **why)
{
	const char *term = getenv("TERM");
	SCREEN *scr = newterm(term && *term ? term : "xterm", stdout, stdin);
	if (!scr)
		return lv_fail(why, LV_EIO, "cannot start the console on terminal type '%s'",
		               term ? term : "");
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	if (!c->opts.no_mouse) {
		mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED,
		          NULL);
		mouseinterval(0); /* a press is a click: no wait for its release */
	}
	const char *no_color = getenv("NO_COLOR");
	int color = has_colors() && !(no_color && *no_color) && !c->opts.mono && !lv_theme_mono();
	if (color)
		start_color();
	lv_theme_init(color, c->utf8);
	signals();
	loop(c);
	if (terminal_gone())
		detach_terminal();
	endwin();
	delscreen(scr);
	return LV_OK;
}
