package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Reporting to the room board is opt-in: nothing is sent unless the attendee
// passes REPORT=. What is sent is a nickname they chose and the ids of the tasks
// that pass, and make status prints it, byte for byte, so nobody has to take
// the kit's word for it. No code, no paths, no host or user names; the request
// goes straight to the board (no proxy, no redirect to follow elsewhere).

// nicknameFile remembers the nickname typed at the prompt, so it is asked once.
const nicknameFile = ".data/nickname"

// reportClient talks to a board on the room's network: directly, since a
// corporate proxy from the environment cannot reach it, and briefly.
var reportClient = &http.Client{
	Timeout:       5 * time.Second,
	Transport:     &http.Transport{Proxy: nil},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// reportBody is the whole report, exactly as it goes over the wire. stages,
// when given, are the stages it is about (make watch runs one): the board
// keeps what it knew of the others.
func reportBody(nick string, passing []string, stages ...int) []byte {
	if passing == nil {
		passing = []string{}
	}
	body, _ := json.Marshal(struct {
		Nick    string   `json:"nick"`
		Passing []string `json:"passing"`
		Stages  []int    `json:"stages,omitempty"`
	}{nick, passing, stages}) // strings and numbers only: it cannot fail
	return body
}

// reportEndpoint turns the URL make board printed (http://HOST:PORT) into its
// report path.
func reportEndpoint(board string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(board))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("REPORT must be the address make board printed, like http://192.168.1.20:7070, not %q", board)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/report"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// reportProgress sends nick and the passing task ids (of stages, or of every
// stage) to the board at boardURL.
// An error says whether the board did not answer or refused, and why. kit
// status calls it after printing its grid; kit watch can call it after a run.
func reportProgress(ctx context.Context, boardURL, nick string, passing []string, stages ...int) error {
	endpoint, err := reportEndpoint(boardURL)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(reportBody(nick, passing, stages...)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kit-status")
	resp, err := reportClient.Do(req)
	if err != nil {
		return fmt.Errorf("the board at %s does not answer (%v): is make board running there, and is the address right?", boardURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil
	}
	var p problem
	_ = json.NewDecoder(io.LimitReader(resp.Body, 4<<10)).Decode(&p)
	why := p.Detail
	if why == "" {
		why = "no reason given (is that address the room board?)"
	}
	return fmt.Errorf("the board at %s refused the report (%s): %s", boardURL, resp.Status, why)
}

// chooseNick is the nickname for the board: the one given (NICK=, -nick), else
// the one remembered in .data/nickname, else asked once on the terminal and
// remembered. Without a terminal to ask on, it says how to give one.
func chooseNick(given string, in io.Reader, out io.Writer, interactive bool) (string, error) {
	if given != "" {
		nick, err := checkNick(given)
		if err != nil {
			return "", fmt.Errorf("NICK: %w", err)
		}
		return nick, nil
	}
	if data, err := os.ReadFile(nicknameFile); err == nil {
		if nick, err := checkNick(string(data)); err == nil {
			return nick, nil
		}
	}
	if !interactive {
		return "", errors.New("choose a nickname for the room board: make status REPORT=... NICK=yourname")
	}
	lines := bufio.NewScanner(io.LimitReader(in, 4<<10))
	for range 3 {
		fmt.Fprint(out, "Your nickname on the room board (1-24 characters; the room sees it, so no need for your real name): ")
		if !lines.Scan() {
			fmt.Fprintln(out)
			break
		}
		nick, err := checkNick(lines.Text())
		if err != nil {
			fmt.Fprintln(out, "  "+err.Error())
			continue
		}
		if err := os.MkdirAll(filepath.Dir(nicknameFile), 0o755); err == nil {
			if os.WriteFile(nicknameFile, []byte(nick+"\n"), 0o644) == nil {
				fmt.Fprintf(out, "  (kept in %s: delete it to choose another)\n", nicknameFile)
			}
		}
		return nick, nil
	}
	return "", errors.New("no nickname chosen: make status REPORT=... NICK=yourname")
}

// stdinIsTerminal says whether there is someone to ask.
func stdinIsTerminal() bool {
	fi, err := os.Stdin.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// statusReport is make status REPORT=...: checked before the tests run (a typo
// should not cost a whole test run), sent after the grid is printed.
type statusReport struct {
	url, nick string
}

func prepareStatusReport(boardURL, nick string) (*statusReport, error) {
	if boardURL == "" {
		return nil, nil
	}
	if _, err := reportEndpoint(boardURL); err != nil {
		return nil, err
	}
	nick, err := chooseNick(nick, os.Stdin, os.Stdout, stdinIsTerminal())
	if err != nil {
		return nil, err
	}
	return &statusReport{url: boardURL, nick: nick}, nil
}

// send prints exactly what goes to the board, then sends it.
func (r *statusReport) send(out io.Writer, passing []string, stages ...int) error {
	if r == nil {
		return nil
	}
	fmt.Fprintf(out, "\nSending to the room board at %s (this and nothing else):\n  %s\n", r.url, reportBody(r.nick, passing, stages...))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := reportProgress(ctx, r.url, r.nick, passing, stages...); err != nil {
		return err
	}
	fmt.Fprintln(out, "The board has it.")
	return nil
}
